# cmake -DCLI=radiomics -DDIR=DEMO_DIR -DOUT=cli_predict.csv -P cli_predict.cmake
# Runs the command-line tool's prediction for the case that `radiomics demo` named in DIR/report.json
# (predicted_case.case_id), from its image files, writing `case_id,probability,prediction` to OUT.
file(READ "${DIR}/report.json" report)
string(JSON case_id GET "${report}" predicted_case case_id)
set(base "${DIR}/cohort/${case_id}")
execute_process(
  COMMAND "${CLI}" predict --model "${DIR}/model.json"
          --image "t1c=${base}_t1c.nii.gz" --image "adc=${base}_adc.nii.gz" --image "fa=${base}_fa.nii.gz"
          --mask "${base}_mask.nii.gz" --case-id "${case_id}" --out "${OUT}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "radiomics predict failed (${rc})")
endif()
file(READ "${OUT}" csv)
message(STATUS "radiomics predict: ${csv}")
