# cmake -DCMD=program;args -DOUT=file -DPYTHON=python -DCOMPARE=compare_csv.py -DEXPECTED=cli.csv
#       -P run_and_compare.cmake
# Runs CMD with its standard output to OUT, then compares OUT with EXPECTED value by value.
execute_process(COMMAND ${CMD} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CMD} failed: ${rc}")
endif()
execute_process(COMMAND ${PYTHON} ${COMPARE} ${EXPECTED} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OUT} differs from ${EXPECTED}")
endif()
