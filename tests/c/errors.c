/*
 * Every error path of the C API returns its documented status and leaves a message; nothing aborts.
 *
 *     errors SCRATCH_DIR
 *
 * SCRATCH_DIR is a writable folder for the corrupt files this test makes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <radiomics.h>

static int failures = 0;
static int checks = 0;

/* Checks that `got` is `want` and, for a failure, that the thread's message names the status and holds
 * `needle` (when not NULL). */
static void expect(const char *what, rad_status got, rad_status want, const char *needle) {
    const char *msg = rad_last_error_message();
    checks++;
    if (got != want) {
        fprintf(stderr, "FAIL %s: got %s, want %s (%s)\n", what, rad_status_name(got), rad_status_name(want), msg);
        failures++;
        return;
    }
    if (want != RAD_OK) {
        if (msg == NULL || strncmp(msg, rad_status_name(want), strlen(rad_status_name(want))) != 0) {
            fprintf(stderr, "FAIL %s: message '%s' does not start with %s\n", what, msg ? msg : "(null)",
                    rad_status_name(want));
            failures++;
        } else if (needle != NULL && strstr(msg, needle) == NULL) {
            fprintf(stderr, "FAIL %s: message '%s' does not mention '%s'\n", what, msg, needle);
            failures++;
        }
    }
}

static void expect_true(const char *what, int ok) {
    checks++;
    if (!ok) {
        fprintf(stderr, "FAIL %s\n", what);
        failures++;
    }
}

static const double IDENTITY[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
static const double SPACING[3] = {1.0, 1.0, 2.5};
static const double ORIGIN[3] = {0.0, 0.0, 0.0};

static rad_image *make_image(const double *values, size_t nx, size_t ny, size_t nz) {
    rad_image *img = NULL;
    size_t dims[3];
    dims[0] = nx;
    dims[1] = ny;
    dims[2] = nz;
    if (rad_image_from_buffer(values, nx * ny * nz * sizeof(double), RAD_FLOAT64, dims, SPACING, ORIGIN,
                              IDENTITY, &img) != RAD_OK) {
        fprintf(stderr, "cannot make a test image: %s\n", rad_last_error_message());
        exit(1);
    }
    return img;
}

static int cancel_now(void *user, double fraction) {
    int *calls = (int *)user;
    (void)fraction;
    (*calls)++;
    return 1;
}

static void write_file(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(bytes, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

int main(int argc, char **argv) {
    double values[4 * 4 * 4];
    double labels[4 * 4 * 4];
    double zeros[4 * 4 * 4];
    double small[2 * 2 * 2];
    size_t dims[3] = {4, 4, 4};
    size_t size[3];
    double v3[3], v9[9], value = -1.0;
    char path[4096];
    char *text = NULL;
    rad_image *image, *mask, *other, *empty, *img = NULL;
    rad_settings *settings = NULL, *s = NULL;
    rad_features *features = NULL, *f = NULL;
    rad_model *model = NULL;
    const char *name = NULL;
    size_t count = 7;
    int calls = 0;
    size_t i;
    uint32_t major = 99;

    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    for (i = 0; i < 64; i++) {
        values[i] = (double)((i * 7) % 13);
        labels[i] = (i >= 16 && i < 48) ? 1.0 : 0.0;
        zeros[i] = 0.0;
    }
    for (i = 0; i < 8; i++) {
        small[i] = 1.0;
    }
    image = make_image(values, 4, 4, 4);
    mask = make_image(labels, 4, 4, 4);
    other = make_image(small, 2, 2, 2);
    empty = make_image(zeros, 4, 4, 4);
    expect("settings", rad_settings_from_yaml("featureClass: {firstorder: }", &settings), RAD_OK, NULL);
    expect("extract", rad_extract(settings, image, mask, &features), RAD_OK, NULL);

    /* Versions. */
    rad_version(&major, NULL, NULL);
    expect_true("rad_version major", major == RAD_VERSION_MAJOR);
    rad_version(NULL, NULL, NULL);
    expect_true("rad_abi_version", rad_abi_version() >= RAD_ABI_VERSION);
    expect_true("rad_version_string", rad_version_string() != NULL && strlen(rad_version_string()) >= 5);
    expect_true("status name", strcmp(rad_status_name(RAD_EMPTY_ROI), "RAD_EMPTY_ROI") == 0);
    expect_true("unknown status name", strcmp(rad_status_name(-7), "RAD_UNKNOWN") == 0);

    /* NULL for every pointer argument. */
    expect("load path", rad_image_load(NULL, &img), RAD_INVALID_ARGUMENT, "'path'");
    expect("load out", rad_image_load("x.nii.gz", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("series folder", rad_image_load_series(NULL, "1.2", &img), RAD_INVALID_ARGUMENT, "'folder'");
    expect("series uid", rad_image_load_series(".", NULL, &img), RAD_INVALID_ARGUMENT, "'series_uid'");
    expect("series out", rad_image_load_series(".", "1.2", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("buffer data", rad_image_from_buffer(NULL, 8, RAD_FLOAT64, dims, SPACING, ORIGIN, IDENTITY, &img),
           RAD_INVALID_ARGUMENT, "'data'");
    expect("buffer dims", rad_image_from_buffer(values, sizeof values, RAD_FLOAT64, NULL, SPACING, ORIGIN,
                                                IDENTITY, &img), RAD_INVALID_ARGUMENT, "'dims'");
    expect("buffer spacing", rad_image_from_buffer(values, sizeof values, RAD_FLOAT64, dims, NULL, ORIGIN,
                                                   IDENTITY, &img), RAD_INVALID_ARGUMENT, "'spacing'");
    expect("buffer origin", rad_image_from_buffer(values, sizeof values, RAD_FLOAT64, dims, SPACING, NULL,
                                                  IDENTITY, &img), RAD_INVALID_ARGUMENT, "'origin'");
    expect("buffer direction", rad_image_from_buffer(values, sizeof values, RAD_FLOAT64, dims, SPACING, ORIGIN,
                                                     NULL, &img), RAD_INVALID_ARGUMENT, "'direction'");
    expect("buffer out", rad_image_from_buffer(values, sizeof values, RAD_FLOAT64, dims, SPACING, ORIGIN,
                                               IDENTITY, NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("size image", rad_image_size(NULL, size), RAD_INVALID_ARGUMENT, "'image'");
    expect("size out", rad_image_size(image, NULL), RAD_INVALID_ARGUMENT, "'size'");
    expect("spacing image", rad_image_spacing(NULL, v3), RAD_INVALID_ARGUMENT, "'image'");
    expect("spacing out", rad_image_spacing(image, NULL), RAD_INVALID_ARGUMENT, "'spacing'");
    expect("origin image", rad_image_origin(NULL, v3), RAD_INVALID_ARGUMENT, "'image'");
    expect("origin out", rad_image_origin(image, NULL), RAD_INVALID_ARGUMENT, "'origin'");
    expect("direction image", rad_image_direction(NULL, v9), RAD_INVALID_ARGUMENT, "'image'");
    expect("direction out", rad_image_direction(image, NULL), RAD_INVALID_ARGUMENT, "'direction'");
    expect("copy_voxels image", rad_image_copy_voxels(NULL, values, 64), RAD_INVALID_ARGUMENT, "'image'");
    expect("copy_voxels out", rad_image_copy_voxels(image, NULL, 64), RAD_INVALID_ARGUMENT, "'out'");
    expect("copy_voxels count", rad_image_copy_voxels(image, values, 63), RAD_INVALID_ARGUMENT, "count");
    expect("settings_new out", rad_settings_new(NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("from_file path", rad_settings_from_file(NULL, &s), RAD_INVALID_ARGUMENT, "'path'");
    expect("from_file out", rad_settings_from_file("p.yaml", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("from_yaml text", rad_settings_from_yaml(NULL, &s), RAD_INVALID_ARGUMENT, "'text'");
    expect("from_yaml out", rad_settings_from_yaml("{}", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("from_json text", rad_settings_from_json(NULL, &s), RAD_INVALID_ARGUMENT, "'text'");
    expect("from_json out", rad_settings_from_json("{}", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("set settings", rad_settings_set(NULL, "label", "1"), RAD_INVALID_ARGUMENT, "'settings'");
    expect("set key", rad_settings_set(settings, NULL, "1"), RAD_INVALID_ARGUMENT, "'key'");
    expect("set value", rad_settings_set(settings, "label", NULL), RAD_INVALID_ARGUMENT, "'value'");
    expect("bin width settings", rad_settings_set_bin_width(NULL, 5.0), RAD_INVALID_ARGUMENT, "'settings'");
    expect("bin count settings", rad_settings_set_bin_count(NULL, 5), RAD_INVALID_ARGUMENT, "'settings'");
    expect("label settings", rad_settings_set_label(NULL, 1), RAD_INVALID_ARGUMENT, "'settings'");
    expect("image types settings", rad_settings_set_image_types(NULL, "{Original: {}}"), RAD_INVALID_ARGUMENT,
           "'settings'");
    expect("image types text", rad_settings_set_image_types(settings, NULL), RAD_INVALID_ARGUMENT,
           "'image_types'");
    expect("extract settings", rad_extract(NULL, image, mask, &f), RAD_INVALID_ARGUMENT, "'settings'");
    expect("extract image", rad_extract(settings, NULL, mask, &f), RAD_INVALID_ARGUMENT, "'image'");
    expect("extract mask", rad_extract(settings, image, NULL, &f), RAD_INVALID_ARGUMENT, "'mask'");
    expect("extract out", rad_extract(settings, image, mask, NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("progress settings", rad_extract_with_progress(NULL, image, mask, NULL, NULL, &f),
           RAD_INVALID_ARGUMENT, "'settings'");
    expect("progress image", rad_extract_with_progress(settings, NULL, mask, NULL, NULL, &f),
           RAD_INVALID_ARGUMENT, "'image'");
    expect("progress mask", rad_extract_with_progress(settings, image, NULL, NULL, NULL, &f),
           RAD_INVALID_ARGUMENT, "'mask'");
    expect("progress out", rad_extract_with_progress(settings, image, mask, NULL, NULL, NULL),
           RAD_INVALID_ARGUMENT, "'out'");
    expect_true("count NULL", rad_features_count(NULL) == 0);
    expect_true("name NULL", rad_features_name(NULL, 0) == NULL);
    expect_true("name NULL message", strstr(rad_last_error_message(), "'features'") != NULL);
    expect("value features", rad_features_value(NULL, 0, &value), RAD_INVALID_ARGUMENT, "'features'");
    expect("value out", rad_features_value(features, 0, NULL), RAD_INVALID_ARGUMENT, "'value'");
    expect("find features", rad_features_find(NULL, "x", &value), RAD_INVALID_ARGUMENT, "'features'");
    expect("find name", rad_features_find(features, NULL, &value), RAD_INVALID_ARGUMENT, "'name'");
    expect("find out", rad_features_find(features, "original_firstorder_Mean", NULL), RAD_INVALID_ARGUMENT,
           "'value'");
    expect("to_csv features", rad_features_to_csv(NULL, &text), RAD_INVALID_ARGUMENT, "'features'");
    expect("to_csv out", rad_features_to_csv(features, NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("to_json features", rad_features_to_json(NULL, &text), RAD_INVALID_ARGUMENT, "'features'");
    expect("to_json out", rad_features_to_json(features, NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("write_csv features", rad_features_write_csv(NULL, "x.csv"), RAD_INVALID_ARGUMENT, "'features'");
    expect("write_csv path", rad_features_write_csv(features, NULL), RAD_INVALID_ARGUMENT, "'path'");
    expect("write_json features", rad_features_write_json(NULL, "x.json"), RAD_INVALID_ARGUMENT, "'features'");
    expect("write_json path", rad_features_write_json(features, NULL), RAD_INVALID_ARGUMENT, "'path'");
    expect("model_load path", rad_model_load(NULL, &model), RAD_INVALID_ARGUMENT, "'path'");
    expect("model_load out", rad_model_load("model.json", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("model_from_json json", rad_model_from_json(NULL, &model), RAD_INVALID_ARGUMENT, "'json'");
    expect("model_from_json out", rad_model_from_json("{}", NULL), RAD_INVALID_ARGUMENT, "'out'");
    expect("model_feature_count model", rad_model_feature_count(NULL, &count), RAD_INVALID_ARGUMENT, "'model'");
    expect("model_feature_name model", rad_model_feature_name(NULL, 0, &name), RAD_INVALID_ARGUMENT, "'model'");
    expect("model_threshold model", rad_model_threshold(NULL, &value), RAD_INVALID_ARGUMENT, "'model'");
    expect("model_predict model", rad_model_predict(NULL, features, &value), RAD_INVALID_ARGUMENT, "'model'");
    {
        const char *const mods[1] = {"t1c"};
        const rad_image *imgs[1];
        imgs[0] = image;
        expect("model_predict_case model", rad_model_predict_case(NULL, 1, mods, imgs, mask, &value),
               RAD_INVALID_ARGUMENT, "'model'");
    }
    expect_true("outputs untouched on failure", img == NULL && s == NULL && f == NULL && text == NULL &&
                                                    model == NULL && name == NULL && count == 7 && value == -1.0);

    /* Files: missing, corrupt, unknown format, unwritable. */
    expect("missing file", rad_image_load("/nonexistent/missing_image.nii.gz", &img), RAD_IO, "missing_image");
    expect("series not a folder", rad_image_load_series("/nonexistent/series_dir", "1.2", &img), RAD_IO,
           "series_dir");
    expect("series not a uid", rad_image_load_series(argv[1], "1.2.x", &img), RAD_INVALID_ARGUMENT, "1.2.x");
    snprintf(path, sizeof path, "%s/corrupt.nii.gz", argv[1]);
    write_file(path, "\x1f\x8b\x08\x00garbage, not a gzip stream", 30);
    expect("corrupt gzip", rad_image_load(path, &img), RAD_FORMAT, "corrupt.nii.gz");
    snprintf(path, sizeof path, "%s/truncated.nii", argv[1]);
    write_file(path, "\x5c\x01\x00\x00 too short for a header", 28);
    expect("truncated nifti", rad_image_load(path, &img), RAD_FORMAT, "truncated.nii");
    snprintf(path, sizeof path, "%s/image.png", argv[1]);
    write_file(path, "png", 3);
    expect("unknown format", rad_image_load(path, &img), RAD_FORMAT, "image.png");
    expect("missing params", rad_settings_from_file("/nonexistent/params.yaml", &s), RAD_IO, "params.yaml");
    expect("unwritable csv", rad_features_write_csv(features, "/nonexistent/dir/x.csv"), RAD_IO, "x.csv");
    expect("missing model", rad_model_load("/nonexistent/missing_model.json", &model), RAD_IO, "missing_model");
    snprintf(path, sizeof path, "%s/model.json", argv[1]);
    write_file(path, "{\"format_version\": 1, \"checksum\": ", 34);
    expect("corrupt model", rad_model_load(path, &model), RAD_MODEL_MISMATCH, "invalid JSON");
    expect("model text not a model", rad_model_from_json("[1, 2]", &model), RAD_MODEL_MISMATCH, "format_version");
    expect_true("outputs untouched on file errors", img == NULL && s == NULL && model == NULL);

    /* Buffers whose dims disagree with their size, bad dtypes and geometry. */
    expect("dims vs buffer", rad_image_from_buffer(values, sizeof values - 8, RAD_FLOAT64, dims, SPACING, ORIGIN,
                                                   IDENTITY, &img), RAD_INVALID_ARGUMENT, "data_size");
    expect("dims vs dtype", rad_image_from_buffer(values, sizeof values, RAD_FLOAT32, dims, SPACING, ORIGIN,
                                                  IDENTITY, &img), RAD_INVALID_ARGUMENT, "data_size");
    expect("unknown dtype", rad_image_from_buffer(values, sizeof values, 77, dims, SPACING, ORIGIN, IDENTITY, &img),
           RAD_INVALID_ARGUMENT, "dtype");
    dims[1] = 0;
    expect("zero dim", rad_image_from_buffer(values, 0, RAD_FLOAT64, dims, SPACING, ORIGIN, IDENTITY, &img),
           RAD_INVALID_ARGUMENT, "dims");
    dims[1] = 4;
    {
        const double bad_spacing[3] = {1.0, -1.0, 1.0};
        const double singular[9] = {1, 0, 0, 1, 0, 0, 0, 0, 1};
        expect("negative spacing", rad_image_from_buffer(values, sizeof values, RAD_FLOAT64, dims, bad_spacing,
                                                         ORIGIN, IDENTITY, &img), RAD_INVALID_ARGUMENT, "spacing");
        expect("singular direction", rad_image_from_buffer(values, sizeof values, RAD_FLOAT64, dims, SPACING,
                                                           ORIGIN, singular, &img), RAD_INVALID_ARGUMENT,
               "singular");
    }
    expect_true("no image on buffer errors", img == NULL);

    /* Masks that do not fit. */
    expect("mask of another size", rad_extract(settings, image, other, &f), RAD_GEOMETRY_MISMATCH, NULL);
    expect("empty ROI", rad_extract(settings, image, empty, &f), RAD_EMPTY_ROI, NULL);
    expect("label absent", rad_settings_set_label(settings, 7), RAD_OK, NULL);
    expect("absent label is an empty ROI", rad_extract(settings, image, mask, &f), RAD_EMPTY_ROI, "label 7");
    expect("label back", rad_settings_set_label(settings, 1), RAD_OK, NULL);

    /* Settings. */
    expect("unknown setting", rad_settings_set(settings, "binWidht", "5"), RAD_UNSUPPORTED_SETTING, "binWidht");
    expect("bad value", rad_settings_set(settings, "binWidth", "five"), RAD_UNSUPPORTED_SETTING, "binWidth");
    expect("bad bin width", rad_settings_set_bin_width(settings, 0.0), RAD_UNSUPPORTED_SETTING, "binWidth");
    expect("bad bin count", rad_settings_set_bin_count(settings, 0), RAD_UNSUPPORTED_SETTING, "binCount");
    expect("unknown image type", rad_settings_set_image_types(settings, "{Fourier: {}}"), RAD_UNSUPPORTED_SETTING,
           "Fourier");
    expect("unknown key in a document", rad_settings_from_yaml("setting: {binWidht: 5}", &s),
           RAD_UNSUPPORTED_SETTING, "binWidht");
    expect("unparsable json", rad_settings_from_json("{\"setting\": ", &s), RAD_UNSUPPORTED_SETTING, "JSON");
    expect("unknown feature", rad_settings_from_yaml("featureClass: {firstorder: [Meen]}", &s),
           RAD_UNSUPPORTED_SETTING, "Meen");
    expect_true("no settings on errors", s == NULL);
    expect("settings still usable", rad_extract(settings, image, mask, &f), RAD_OK, NULL);
    expect_true("same features after refused changes", rad_features_count(f) == rad_features_count(features));
    rad_features_free(f);
    f = NULL;

    /* Cancellation. */
    expect("cancelled", rad_extract_with_progress(settings, image, mask, cancel_now, &calls, &f), RAD_CANCELLED,
           "cancelled");
    expect_true("callback called once", calls == 1);
    expect_true("no features when cancelled", f == NULL);

    /* Feature access out of range. */
    expect_true("name past the end", rad_features_name(features, rad_features_count(features)) == NULL);
    expect("value past the end", rad_features_value(features, rad_features_count(features), &value),
           RAD_INVALID_ARGUMENT, "out of range");
    expect("unknown feature name", rad_features_find(features, "original_firstorder_Nothing", &value),
           RAD_INVALID_ARGUMENT, "Nothing");
    expect_true("value untouched", value == -1.0);

    /* Success paths of the same functions, for valgrind. */
    expect("size", rad_image_size(image, size), RAD_OK, NULL);
    expect_true("size values", size[0] == 4 && size[1] == 4 && size[2] == 4);
    expect("spacing", rad_image_spacing(image, v3), RAD_OK, NULL);
    expect_true("spacing values", v3[2] == 2.5);
    expect("origin", rad_image_origin(image, v3), RAD_OK, NULL);
    expect("direction", rad_image_direction(image, v9), RAD_OK, NULL);
    expect_true("direction values", memcmp(v9, IDENTITY, sizeof v9) == 0);
    expect("to_json", rad_features_to_json(features, &text), RAD_OK, NULL);
    expect_true("json text", text != NULL && text[0] == '{');
    rad_string_free(text);
    expect("find", rad_features_find(features, "original_firstorder_Mean", &value), RAD_OK, NULL);
    snprintf(path, sizeof path, "%s/features.json", argv[1]);
    expect("write_json", rad_features_write_json(features, path), RAD_OK, NULL);

    /* Freeing NULL is a no-op. */
    rad_image_free(NULL);
    rad_settings_free(NULL);
    rad_features_free(NULL);
    rad_string_free(NULL);
    rad_model_free(NULL);

    rad_features_free(features);
    rad_settings_free(settings);
    rad_image_free(image);
    rad_image_free(mask);
    rad_image_free(other);
    rad_image_free(empty);
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
