/*
 * extract: the features of one image and mask, printed as `name,value` CSV.
 *
 *     extract IMAGE MASK [PARAMS]
 *
 * IMAGE and MASK are NIfTI (.nii, .nii.gz) or NRRD files; PARAMS is a PyRadiomics parameter file
 * (YAML or JSON), PyRadiomics' defaults without one. Prints whatever features the settings enable.
 */
#include <stdio.h>

#include <radiomics.h>

/* Prints the failure of `what` and returns 1. */
static int fail(const char *what, rad_status status) {
    fprintf(stderr, "extract: %s failed (%s): %s\n", what, rad_status_name(status), rad_last_error_message());
    return 1;
}

int main(int argc, char **argv) {
    rad_settings *settings = NULL;
    rad_image *image = NULL;
    rad_image *mask = NULL;
    rad_features *features = NULL;
    rad_status st;
    int rc = 1;
    size_t i, n;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s IMAGE MASK [PARAMS]\n", argv[0]);
        return 2;
    }
    if (rad_abi_version() < RAD_ABI_VERSION) {
        fprintf(stderr, "extract: library %s is older than this program's header\n", rad_version_string());
        return 1;
    }
    st = argc == 4 ? rad_settings_from_file(argv[3], &settings) : rad_settings_new(&settings);
    if (st != RAD_OK) {
        rc = fail("reading the settings", st);
        goto done;
    }
    if ((st = rad_image_load(argv[1], &image)) != RAD_OK) {
        rc = fail("loading the image", st);
        goto done;
    }
    if ((st = rad_image_load(argv[2], &mask)) != RAD_OK) {
        rc = fail("loading the mask", st);
        goto done;
    }
    if ((st = rad_extract(settings, image, mask, &features)) != RAD_OK) {
        rc = fail("extraction", st);
        goto done;
    }
    printf("name,value\n");
    n = rad_features_count(features);
    for (i = 0; i < n; i++) {
        double value = 0.0;
        rad_features_value(features, i, &value);
        printf("%s,%.17g\n", rad_features_name(features, i), value);
    }
    rc = 0;
done:
    rad_features_free(features);
    rad_image_free(mask);
    rad_image_free(image);
    rad_settings_free(settings);
    return rc;
}
