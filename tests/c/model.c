/*
 * Model prediction through the C API gives the command-line tool's probability, bit for bit.
 *
 *     model DEMO_DIR CLI_CSV
 *
 * DEMO_DIR is the output of `radiomics demo` (model.json, cohort/<case>_{t1c,adc,fa,mask}.nii.gz);
 * CLI_CSV the output of `radiomics predict` for one of its cases (`case_id,probability,prediction`).
 * The case's images are loaded, the model predicts from them with its own settings, and the probability
 * and the decision must equal the CLI's. Also: names and threshold, the model read from its text, a
 * feature set without the model's features (RAD_MODEL_MISMATCH naming one), and NULL for every pointer
 * argument of the rad_model_* functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <radiomics.h>

static int failures = 0;
static int checks = 0;

static void expect(const char *what, rad_status got, rad_status want, const char *needle) {
    const char *msg = rad_last_error_message();
    checks++;
    if (got != want) {
        fprintf(stderr, "FAIL %s: got %s, want %s (%s)\n", what, rad_status_name(got), rad_status_name(want), msg);
        failures++;
    } else if (want != RAD_OK && needle != NULL && strstr(msg, needle) == NULL) {
        fprintf(stderr, "FAIL %s: message '%s' does not mention '%s'\n", what, msg, needle);
        failures++;
    }
}

static void expect_true(const char *what, int ok) {
    checks++;
    if (!ok) {
        fprintf(stderr, "FAIL %s\n", what);
        failures++;
    }
}

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, rad_last_error_message());
    exit(1);
}

/* The whole file as a NUL-terminated string (malloc'ed). */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    text = (char *)malloc((size_t)n + 1);
    if (text == NULL || fread(text, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    text[n] = '\0';
    fclose(f);
    return text;
}

int main(int argc, char **argv) {
    static const char *const MODALITIES[3] = {"t1c", "adc", "fa"};
    char path[4096], case_id[256], *json, *line;
    double cli_p, p = -1.0, q = -1.0, threshold = -1.0;
    int cli_prediction;
    rad_model *model = NULL, *again = NULL, *none = NULL;
    const rad_image *images[3];
    rad_image *owned[3], *mask = NULL;
    rad_settings *settings = NULL;
    rad_features *features = NULL;
    size_t i, count = 0;
    const char *name = NULL;

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s DEMO_DIR CLI_CSV [PARAMS_DIR]\n", argv[0]);
        return 2;
    }

    /* The CLI's answer: the second line of its CSV. */
    json = read_text(argv[2]);
    line = strchr(json, '\n');
    if (line == NULL || sscanf(line + 1, "%255[^,],%lf,%d", case_id, &cli_p, &cli_prediction) != 3) {
        fprintf(stderr, "%s is not `case_id,probability,prediction` output\n", argv[2]);
        return 1;
    }
    free(json);

    snprintf(path, sizeof path, "%s/model.json", argv[1]);
    if (rad_model_load(path, &model) != RAD_OK) {
        die("rad_model_load");
    }
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/cohort/%s_%s.nii.gz", argv[1], case_id, MODALITIES[i]);
        if (rad_image_load(path, &owned[i]) != RAD_OK) {
            die(path);
        }
        images[i] = owned[i];
    }
    snprintf(path, sizeof path, "%s/cohort/%s_mask.nii.gz", argv[1], case_id);
    if (rad_image_load(path, &mask) != RAD_OK) {
        die(path);
    }

    /* The case from its images, with the model's own settings: the CLI's probability exactly. */
    expect("predict_case", rad_model_predict_case(model, 3, MODALITIES, images, mask, &p), RAD_OK, NULL);
    expect_true("probability equals the CLI's", p == cli_p);
    if (p != cli_p) {
        fprintf(stderr, "  C %.17g, CLI %.17g\n", p, cli_p);
    }
    expect("threshold", rad_model_threshold(model, &threshold), RAD_OK, NULL);
    expect_true("prediction equals the CLI's", (p >= threshold) == (cli_prediction == 1));
    expect_true("threshold in (0, 1)", threshold > 0.0 && threshold < 1.0);
    printf("case %s: probability %.17g (CLI %.17g), threshold %.17g\n", case_id, p, cli_p, threshold);

    /* With PARAMS_DIR (the parameter files the model's table was extracted with): the case extracted
     * through rad_extract_case, each modality with its own file, feeds rad_model_predict without renaming,
     * with the same probability. */
    if (argc == 4) {
        rad_settings *own[3];
        const rad_settings *per[3];
        rad_features *case_features = NULL;
        double r = -1.0;
        for (i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s.yaml", argv[3], MODALITIES[i]);
            if (rad_settings_from_file(path, &own[i]) != RAD_OK) {
                die(path);
            }
            per[i] = own[i];
        }
        expect("extract_case", rad_extract_case(own[0], 3, MODALITIES, images, per, mask, &case_features),
               RAD_OK, NULL);
        expect("predict from the case's features", rad_model_predict(model, case_features, &r), RAD_OK, NULL);
        expect_true("rad_extract_case + rad_model_predict equals the CLI's", r == cli_p);
        if (r != cli_p) {
            fprintf(stderr, "  C %.17g, CLI %.17g\n", r, cli_p);
        }
        expect_true("names carry the modality", case_features != NULL &&
                                                    strncmp(rad_features_name(case_features, 0), "t1c_", 4) == 0);
        rad_features_free(case_features);
        for (i = 0; i < 3; i++) {
            rad_settings_free(own[i]);
        }
    }

    /* Feature names: borrowed, prefixed by modality. */
    expect("feature count", rad_model_feature_count(model, &count), RAD_OK, NULL);
    expect_true("some features", count > 10);
    expect("first name", rad_model_feature_name(model, 0, &name), RAD_OK, NULL);
    expect_true("a modality prefix", name != NULL && (strncmp(name, "t1c_", 4) == 0 ||
                                                      strncmp(name, "adc_", 4) == 0 ||
                                                      strncmp(name, "fa_", 3) == 0));
    expect("last name", rad_model_feature_name(model, count - 1, &name), RAD_OK, NULL);
    name = NULL;
    expect("name past the end", rad_model_feature_name(model, count, &name), RAD_INVALID_ARGUMENT, "out of range");
    expect_true("name untouched", name == NULL);

    /* The same model from its text; images in another order give the same probability. */
    snprintf(path, sizeof path, "%s/model.json", argv[1]);
    json = read_text(path);
    expect("from_json", rad_model_from_json(json, &again), RAD_OK, NULL);
    free(json);
    {
        const char *const mods[3] = {"fa", "t1c", "adc"};
        const rad_image *imgs[3];
        imgs[0] = owned[2];
        imgs[1] = owned[0];
        imgs[2] = owned[1];
        expect("predict_case reordered", rad_model_predict_case(again, 3, mods, imgs, mask, &q), RAD_OK, NULL);
        expect_true("order does not matter", q == p);
    }

    /* Modalities the model does not know, and a plain feature set: its features are not there. */
    q = -1.0;
    {
        const char *const others[3] = {"pd", "swi", "dwi"};
        expect("predict_case, other modalities", rad_model_predict_case(model, 3, others, images, mask, &q),
               RAD_MODEL_MISMATCH, "which the input lacks");
    }
    expect("settings", rad_settings_from_yaml("featureClass: {firstorder: }", &settings), RAD_OK, NULL);
    expect("extract", rad_extract(settings, images[0], mask, &features), RAD_OK, NULL);
    expect("predict unprefixed features", rad_model_predict(model, features, &q), RAD_MODEL_MISMATCH,
           "the model needs feature '");
    expect_true("probability untouched", q == -1.0);

    /* NULL for every pointer argument. */
    expect("load path", rad_model_load(NULL, &none), RAD_INVALID_ARGUMENT, "'path'");
    expect("load out", rad_model_load("model.json", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("from_json json", rad_model_from_json(NULL, &none), RAD_INVALID_ARGUMENT, "'json'");
    expect("from_json out", rad_model_from_json("{}", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("count model", rad_model_feature_count(NULL, &count), RAD_INVALID_ARGUMENT, "'model'");
    expect("count out", rad_model_feature_count(model, NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("name model", rad_model_feature_name(NULL, 0, &name), RAD_INVALID_ARGUMENT, "'model'");
    expect("name out", rad_model_feature_name(model, 0, NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("threshold model", rad_model_threshold(NULL, &q), RAD_INVALID_ARGUMENT, "'model'");
    expect("threshold out", rad_model_threshold(model, NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("predict model", rad_model_predict(NULL, features, &q), RAD_INVALID_ARGUMENT, "'model'");
    expect("predict features", rad_model_predict(model, NULL, &q), RAD_INVALID_ARGUMENT, "'features'");
    expect("predict out", rad_model_predict(model, features, NULL), RAD_INVALID_ARGUMENT, "'probability'");
    expect("case model", rad_model_predict_case(NULL, 3, MODALITIES, images, mask, &q), RAD_INVALID_ARGUMENT,
           "'model'");
    expect("case modalities", rad_model_predict_case(model, 3, NULL, images, mask, &q), RAD_INVALID_ARGUMENT,
           "'modalities'");
    expect("case images", rad_model_predict_case(model, 3, MODALITIES, NULL, mask, &q), RAD_INVALID_ARGUMENT,
           "'images'");
    expect("case mask", rad_model_predict_case(model, 3, MODALITIES, images, NULL, &q), RAD_INVALID_ARGUMENT,
           "'mask'");
    expect("case out", rad_model_predict_case(model, 3, MODALITIES, images, mask, NULL), RAD_INVALID_ARGUMENT,
           "'probability'");
    {
        const char *const null_name[1] = {NULL};
        const rad_image *null_image[1] = {NULL};
        expect("case modality entry", rad_model_predict_case(model, 1, null_name, images, mask, &q),
               RAD_INVALID_ARGUMENT, "'modalities[0]'");
        expect("case image entry", rad_model_predict_case(model, 1, MODALITIES, null_image, mask, &q),
               RAD_INVALID_ARGUMENT, "'images[0]'");
    }
    expect("case without images", rad_model_predict_case(model, 0, NULL, NULL, mask, &q), RAD_INVALID_ARGUMENT,
           "at least one image");
    expect_true("outputs untouched", none == NULL && q == -1.0);
    rad_model_free(NULL);

    rad_features_free(features);
    rad_settings_free(settings);
    for (i = 0; i < 3; i++) {
        rad_image_free(owned[i]);
    }
    rad_image_free(mask);
    rad_model_free(again);
    rad_model_free(model);
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
