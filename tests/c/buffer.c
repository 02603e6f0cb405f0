/*
 * Voxels from memory give the features of the same voxels from a file, bit for bit.
 *
 *     buffer IMAGE MASK PARAMS [PARAMS ...]
 *
 * Reads IMAGE and MASK through the library, copies their voxels out, converts them to the type each was
 * stored in (rad_image_pixel_type: int16 for the reference images), passes them back with
 * rad_image_from_buffer (with spacing, origin and direction) and extracts with each parameter file from
 * both the file images and the buffer images. Every value must have the same bits. For a parameter file
 * that resamples the image in its stored type (no normalisation), the same voxels passed as double must
 * give other values somewhere: that is the truncation back to the stored type, and shows that the
 * comparison can fail.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <radiomics.h>

static int fail(const char *what) {
    fprintf(stderr, "FAIL %s: %s\n", what, rad_last_error_message());
    return 1;
}

/* Converts n doubles to the element type `dtype`; returns a malloc'd buffer and its size in bytes. */
static void *convert(const double *v, size_t n, int32_t dtype, size_t *bytes) {
    size_t i;
    void *out = NULL;
    switch (dtype) {
#define RAD_CONVERT(code, type)                                                                            \
    case code: {                                                                                           \
        type *p = (type *)malloc(n * sizeof(type));                                                        \
        if (p != NULL) {                                                                                   \
            for (i = 0; i < n; ++i) p[i] = (type)v[i];                                                     \
        }                                                                                                  \
        *bytes = n * sizeof(type);                                                                         \
        out = p;                                                                                           \
        break;                                                                                             \
    }
        RAD_CONVERT(RAD_UINT8, uint8_t)
        RAD_CONVERT(RAD_INT8, int8_t)
        RAD_CONVERT(RAD_UINT16, uint16_t)
        RAD_CONVERT(RAD_INT16, int16_t)
        RAD_CONVERT(RAD_UINT32, uint32_t)
        RAD_CONVERT(RAD_INT32, int32_t)
        RAD_CONVERT(RAD_UINT64, uint64_t)
        RAD_CONVERT(RAD_INT64, int64_t)
        RAD_CONVERT(RAD_FLOAT32, float)
        RAD_CONVERT(0, double)
        RAD_CONVERT(RAD_FLOAT64, double)
#undef RAD_CONVERT
    default:
        break;
    }
    return out;
}

/* A copy of `image` made through rad_image_from_buffer, its voxels in `dtype` (-1: the stored type). */
static rad_image *round_trip(const rad_image *image, int32_t dtype) {
    size_t size[3], n, bytes = 0;
    double spacing[3], origin[3], direction[9];
    double *voxels;
    void *typed;
    rad_image *out = NULL;
    if (rad_image_size(image, size) != RAD_OK || rad_image_spacing(image, spacing) != RAD_OK ||
        rad_image_origin(image, origin) != RAD_OK || rad_image_direction(image, direction) != RAD_OK) {
        return NULL;
    }
    if (dtype < 0 && rad_image_pixel_type(image, &dtype) != RAD_OK) {
        return NULL;
    }
    n = size[0] * size[1] * size[2];
    voxels = (double *)malloc(n * sizeof(double));
    if (voxels == NULL || rad_image_copy_voxels(image, voxels, n) != RAD_OK) {
        free(voxels);
        return NULL;
    }
    typed = convert(voxels, n, dtype, &bytes);
    free(voxels);
    if (typed == NULL) {
        fprintf(stderr, "no conversion to dtype %d\n", (int)dtype);
        return NULL;
    }
    if (rad_image_from_buffer(typed, bytes, dtype == 0 ? RAD_FLOAT64 : dtype, size, spacing, origin, direction,
                              &out) != RAD_OK) {
        out = NULL;
    }
    free(typed);
    return out;
}

/* 0 when every name and value bit is the same; the number of differing values otherwise (-1 when the
 * names differ). */
static long compare(const rad_features *a, const rad_features *b, int verbose) {
    size_t i, n = rad_features_count(a);
    long differ = 0;
    if (n != rad_features_count(b) || n == 0) {
        fprintf(stderr, "feature counts differ: %zu vs %zu\n", n, rad_features_count(b));
        return -1;
    }
    for (i = 0; i < n; ++i) {
        double x = 0.0, y = 0.0;
        if (strcmp(rad_features_name(a, i), rad_features_name(b, i)) != 0) {
            fprintf(stderr, "feature %zu: %s vs %s\n", i, rad_features_name(a, i), rad_features_name(b, i));
            return -1;
        }
        rad_features_value(a, i, &x);
        rad_features_value(b, i, &y);
        if (memcmp(&x, &y, sizeof x) != 0) {
            if (verbose && differ < 5) {
                fprintf(stderr, "  %s: file %.17g, buffer %.17g\n", rad_features_name(a, i), x, y);
            }
            differ++;
        }
    }
    return differ;
}

/* Whether the parameter file resamples the image in its stored type (resampling without normalisation,
 * which makes floating-point values). */
static int resamples_stored_type(const char *params_path) {
    char line[512];
    int found = 0, normalizes = 0;
    FILE *f = fopen(params_path, "r");
    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        const char *p = line;
        while (*p == ' ') ++p;
        if (strncmp(p, "resampledPixelSpacing:", 22) == 0 && strstr(p, "null") == NULL) {
            found = 1;
        }
        if (strncmp(p, "normalize:", 10) == 0 && strstr(p, "true") != NULL) {
            normalizes = 1;
        }
    }
    fclose(f);
    return found && !normalizes;
}

int main(int argc, char **argv) {
    rad_image *image = NULL, *mask = NULL, *image_buf = NULL, *mask_buf = NULL, *image_f64 = NULL;
    int32_t image_type = -1, mask_type = -1;
    int status = 0, i;
    if (argc < 4) {
        fprintf(stderr, "usage: buffer IMAGE MASK PARAMS [PARAMS ...]\n");
        return 2;
    }
    if (rad_image_load(argv[1], &image) != RAD_OK) return fail(argv[1]);
    if (rad_image_load(argv[2], &mask) != RAD_OK) return fail(argv[2]);
    rad_image_pixel_type(image, &image_type);
    rad_image_pixel_type(mask, &mask_type);
    image_buf = round_trip(image, -1);
    mask_buf = round_trip(mask, -1);
    image_f64 = round_trip(image, RAD_FLOAT64);
    if (image_buf == NULL || mask_buf == NULL || image_f64 == NULL) return fail("rad_image_from_buffer");
    printf("%s: image stored as dtype %d, mask as %d\n", argv[1], (int)image_type, (int)mask_type);

    for (i = 3; i < argc; ++i) {
        rad_settings *settings = NULL;
        rad_features *from_file = NULL, *from_buffer = NULL, *from_double = NULL;
        long differ;
        if (rad_settings_from_file(argv[i], &settings) != RAD_OK) return fail(argv[i]);
        if (rad_extract(settings, image, mask, &from_file) != RAD_OK) return fail("extract from the files");
        if (rad_extract(settings, image_buf, mask_buf, &from_buffer) != RAD_OK) {
            return fail("extract from the buffers");
        }
        differ = compare(from_file, from_buffer, 1);
        printf("%s: %zu features, %ld differ between file and buffer\n", argv[i], rad_features_count(from_file),
               differ);
        if (differ != 0) status = 1;
        if (resamples_stored_type(argv[i]) && image_type > 0 && image_type != RAD_FLOAT64) {
            if (rad_extract(settings, image_f64, mask_buf, &from_double) != RAD_OK) {
                return fail("extract from the double buffer");
            }
            differ = compare(from_file, from_double, 0);
            printf("%s: the same voxels as double (no truncation after resampling): %ld differ\n", argv[i],
                   differ);
            if (differ <= 0) {
                fprintf(stderr, "FAIL %s: the double buffer should change some resampled values\n", argv[i]);
                status = 1;
            }
            rad_features_free(from_double);
        }
        rad_features_free(from_file);
        rad_features_free(from_buffer);
        rad_settings_free(settings);
    }
    rad_image_free(image);
    rad_image_free(mask);
    rad_image_free(image_buf);
    rad_image_free(mask_buf);
    rad_image_free(image_f64);
    if (status == 0) printf("buffer: every feature bit-identical\n");
    return status;
}
