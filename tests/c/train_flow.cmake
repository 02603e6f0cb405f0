# cmake -DCLI=radiomics -DDEMO=DEMO_DIR -DPARAMS=PARAMS_DIR -DDIR=OUT_DIR -P train_flow.cmake
# The flow users follow, with no extra flag: `radiomics batch` over the cohort `radiomics demo` wrote (the
# table gets its settings file), `radiomics train` on that table (the model stores those settings), then
# `radiomics predict` from the images of the case the demo's report names, which must give the
# probability `radiomics predict --table` gives for that case. Writes DIR/model.json, DIR/cli_predict.csv
# and DIR/cohort (a link to the demo's cohort), the inputs of the C, C++ and Python model tests.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
run("${CLI}" batch --manifest "${DEMO}/cohort/manifest.csv" --params "${PARAMS}/t1c.yaml"
    --params "t1c=${PARAMS}/t1c.yaml" --params "adc=${PARAMS}/adc.yaml" --params "fa=${PARAMS}/fa.yaml"
    --out "${DIR}/features.csv" --jobs 2)
if(NOT EXISTS "${DIR}/features.settings.json")
  message(FATAL_ERROR "radiomics batch wrote no settings file beside its table")
endif()
run("${CLI}" train --table "${DIR}/features.csv" --split train --selector anova --classifier lda --k 5
    --out "${DIR}/model.json")
file(READ "${DIR}/model.json" model)
string(JSON settings_type TYPE "${model}" extraction_settings)
if(NOT settings_type STREQUAL "OBJECT")
  message(FATAL_ERROR "the trained model stores no extraction settings (${settings_type})")
endif()

file(READ "${DEMO}/report.json" report)
string(JSON case_id GET "${report}" predicted_case case_id)
set(base "${DEMO}/cohort/${case_id}")
run("${CLI}" predict --model "${DIR}/model.json"
    --image "t1c=${base}_t1c.nii.gz" --image "adc=${base}_adc.nii.gz" --image "fa=${base}_fa.nii.gz"
    --mask "${base}_mask.nii.gz" --case-id "${case_id}" --out "${DIR}/cli_predict.csv")
run("${CLI}" predict --model "${DIR}/model.json" --table "${DIR}/features.csv"
    --out "${DIR}/table_predict.csv")
file(STRINGS "${DIR}/cli_predict.csv" from_images)
file(STRINGS "${DIR}/table_predict.csv" from_table REGEX "^${case_id},")
list(GET from_images 1 from_images)
if(NOT from_images STREQUAL from_table)
  message(FATAL_ERROR "prediction from images '${from_images}' differs from the table's '${from_table}'")
endif()
message(STATUS "trained model: from images ${from_images}, from the table ${from_table}")
file(CREATE_LINK "${DEMO}/cohort" "${DIR}/cohort" SYMBOLIC)
