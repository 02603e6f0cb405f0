/*
 * 8 threads extract concurrently with one shared settings handle and one shared image and mask; each
 * result equals the sequential one, bit for bit.
 *
 *     threads IMAGE MASK PARAMS
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <radiomics.h>

#define THREADS 8

struct job {
    const rad_settings *settings;
    const rad_image *image;
    const rad_image *mask;
    rad_features *features;
    rad_status status;
};

static void *run(void *arg) {
    struct job *job = (struct job *)arg;
    job->status = rad_extract(job->settings, job->image, job->mask, &job->features);
    return NULL;
}

/* 1 when both sets hold the same names and bit-identical values, in the same order. */
static int same(const rad_features *a, const rad_features *b) {
    size_t i, n = rad_features_count(a);
    if (n == 0 || n != rad_features_count(b)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        double x = 0.0, y = 1.0;
        if (strcmp(rad_features_name(a, i), rad_features_name(b, i)) != 0) {
            return 0;
        }
        rad_features_value(a, i, &x);
        rad_features_value(b, i, &y);
        if (memcmp(&x, &y, sizeof x) != 0) {
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    rad_settings *settings = NULL;
    rad_image *image = NULL, *mask = NULL;
    rad_features *sequential = NULL;
    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    int i, failures = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s IMAGE MASK PARAMS\n", argv[0]);
        return 2;
    }
    if (rad_settings_from_file(argv[3], &settings) != RAD_OK || rad_image_load(argv[1], &image) != RAD_OK ||
        rad_image_load(argv[2], &mask) != RAD_OK || rad_extract(settings, image, mask, &sequential) != RAD_OK) {
        fprintf(stderr, "setup failed: %s\n", rad_last_error_message());
        return 1;
    }
    for (i = 0; i < THREADS; i++) {
        jobs[i].settings = settings;
        jobs[i].image = image;
        jobs[i].mask = mask;
        jobs[i].features = NULL;
        jobs[i].status = RAD_INTERNAL;
        if (pthread_create(&threads[i], NULL, run, &jobs[i]) != 0) {
            fprintf(stderr, "cannot start thread %d\n", i);
            return 1;
        }
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        if (jobs[i].status != RAD_OK) {
            fprintf(stderr, "FAIL thread %d: %s\n", i, rad_status_name(jobs[i].status));
            failures++;
        } else if (!same(jobs[i].features, sequential)) {
            fprintf(stderr, "FAIL thread %d: features differ from the sequential run\n", i);
            failures++;
        }
        rad_features_free(jobs[i].features);
    }
    printf("%d threads x %zu features, %d failed\n", THREADS, rad_features_count(sequential), failures);
    rad_features_free(sequential);
    rad_image_free(mask);
    rad_image_free(image);
    rad_settings_free(settings);
    return failures == 0 ? 0 : 1;
}
