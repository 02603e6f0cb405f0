/*
 * The warning channel, per-call threads and fine progress, from C.
 *
 *     channels IMAGE MASK PARAMS
 *
 * - A thread's log callback hears the warnings of its extractions (a LoG sigma too large for the image)
 *   on that thread, before rad_extract returns; the feature set keeps them; another thread's extractions
 *   do not reach it; a failure reaches it as RAD_LOG_ERROR.
 * - rad_settings_set_threads: 1, 2 and 3 threads give the bits of the default pool.
 * - Progress: increasing fractions from 0 to 1, reported on the calling thread, many per image type; a
 *   cancel stops the extraction soon after the callback asks (the delay is printed and bounded).
 */
#define _POSIX_C_SOURCE 199309L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <radiomics.h>

static int failures = 0;

static void expect_true(const char *what, int ok) {
    if (!ok) {
        fprintf(stderr, "FAIL %s\n", what);
        failures++;
    }
}

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, rad_last_error_message());
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

struct log_record {
    pthread_t thread;
    int warnings, errors, other_thread;
    char first[512];
};

static void on_log(void *user, int32_t level, const char *message) {
    struct log_record *r = (struct log_record *)user;
    if (!pthread_equal(pthread_self(), r->thread)) r->other_thread++;
    if (level == RAD_LOG_WARNING) {
        if (r->warnings == 0) {
            strncpy(r->first, message, sizeof r->first - 1);
        }
        r->warnings++;
    } else if (level == RAD_LOG_ERROR) {
        r->errors++;
    }
}

struct job {
    const rad_settings *settings;
    const rad_image *image, *mask;
    size_t warnings;
};

/* Another thread, without a log callback: its warnings stay with its feature set. */
static void *other_thread(void *p) {
    struct job *j = (struct job *)p;
    rad_features *f = NULL;
    if (rad_extract(j->settings, j->image, j->mask, &f) == RAD_OK) {
        j->warnings = rad_features_warning_count(f);
    }
    rad_features_free(f);
    return NULL;
}

struct progress_record {
    pthread_t thread;
    double last, cancel_at, asked;
    int calls, decreasing, other_thread;
};

static int on_progress(void *user, double fraction) {
    struct progress_record *r = (struct progress_record *)user;
    if (!pthread_equal(pthread_self(), r->thread)) r->other_thread++;
    if (fraction <= r->last) r->decreasing++;
    r->last = fraction;
    r->calls++;
    if (r->cancel_at >= 0.0 && fraction >= r->cancel_at) {
        r->asked = now();
        return 1;
    }
    return 0;
}

static int same_bits(const rad_features *a, const rad_features *b) {
    size_t i, n = rad_features_count(a);
    if (n != rad_features_count(b) || n == 0) return 0;
    for (i = 0; i < n; i++) {
        double x = 0.0, y = 0.0;
        rad_features_value(a, i, &x);
        rad_features_value(b, i, &y);
        if (memcmp(&x, &y, sizeof x) != 0) return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    rad_image *image = NULL, *mask = NULL;
    rad_settings *settings = NULL, *warn = NULL, *filters = NULL;
    rad_features *base = NULL, *f = NULL;
    struct log_record log;
    struct progress_record pr;
    struct job job;
    pthread_t t;
    uint32_t threads;
    double started, took;
    if (argc != 4) {
        fprintf(stderr, "usage: %s IMAGE MASK PARAMS\n", argv[0]);
        return 2;
    }
    if (rad_image_load(argv[1], &image) != RAD_OK || rad_image_load(argv[2], &mask) != RAD_OK) die("load");
    if (rad_settings_from_file(argv[3], &settings) != RAD_OK) die(argv[3]);
    if (rad_settings_from_yaml("imageType: {Original: {}, LoG: {sigma: [1.0, 1000.0]}}\n"
                               "featureClass: {firstorder: [Mean]}",
                               &warn) != RAD_OK) {
        die("warning settings");
    }

    /* Warnings: on this thread's callback, before rad_extract returns, and kept with the features. */
    memset(&log, 0, sizeof log);
    log.thread = pthread_self();
    expect_true("install", rad_set_log_callback(on_log, &log, RAD_LOG_WARNING) == RAD_OK);
    expect_true("extract with a warning", rad_extract(warn, image, mask, &f) == RAD_OK);
    expect_true("one warning logged", log.warnings == 1);
    expect_true("it names the sigma", strstr(log.first, "LoG sigma 1000") != NULL);
    expect_true("one warning kept", rad_features_warning_count(f) == 1);
    expect_true("the same text", rad_features_warning(f, 0) != NULL && strcmp(rad_features_warning(f, 0), log.first) == 0);
    expect_true("sigma 1 computed", rad_features_count(f) == 2);
    rad_features_free(f);
    f = NULL;
    job.settings = warn;
    job.image = image;
    job.mask = mask;
    job.warnings = 0;
    pthread_create(&t, NULL, other_thread, &job);
    pthread_join(t, NULL);
    expect_true("another thread's warnings are its own", job.warnings == 1 && log.warnings == 1);
    {
        rad_image *none = NULL;
        expect_true("a failure is logged as an error",
                    rad_image_load("/nonexistent.nii", &none) == RAD_IO && log.errors == 1 && none == NULL);
    }
    expect_true("a bad level is refused", rad_set_log_callback(on_log, &log, 25) == RAD_INVALID_ARGUMENT);
    expect_true("never from another thread", log.other_thread == 0);
    expect_true("remove", rad_set_log_callback(NULL, NULL, RAD_LOG_DEBUG) == RAD_OK);
    expect_true("extract without a callback", rad_extract(warn, image, mask, &f) == RAD_OK);
    expect_true("nothing logged after removal", log.warnings == 1);
    rad_features_free(f);
    f = NULL;

    /* Threads per call: the same bits. */
    if (rad_extract(settings, image, mask, &base) != RAD_OK) die("extract");
    for (threads = 1; threads <= 3; threads++) {
        rad_settings *s = NULL;
        if (rad_settings_from_file(argv[3], &s) != RAD_OK) die(argv[3]);
        expect_true("set threads", rad_settings_set_threads(s, threads) == RAD_OK);
        expect_true("extract with threads", rad_extract(s, image, mask, &f) == RAD_OK);
        expect_true("threads: bit-identical", same_bits(base, f));
        rad_features_free(f);
        f = NULL;
        rad_settings_free(s);
    }
    expect_true("threads NULL", rad_settings_set_threads(NULL, 2) == RAD_INVALID_ARGUMENT);

    /* Progress: fine, increasing, on this thread. */
    if (rad_settings_from_yaml("imageType: {Original: {}, LoG: {sigma: [1.0, 2.0, 3.0]}, Wavelet: {}}\n"
                               "setting: {binWidth: 25}",
                               &filters) != RAD_OK) {
        die("filter settings");
    }
    memset(&pr, 0, sizeof pr);
    pr.thread = pthread_self();
    pr.last = -1.0;
    pr.cancel_at = -1.0;
    started = now();
    expect_true("extract with progress", rad_extract_with_progress(filters, image, mask, on_progress, &pr, &f) == RAD_OK);
    took = now() - started;
    expect_true("progress increases", pr.decreasing == 0);
    expect_true("progress ends at 1", pr.last == 1.0);
    expect_true("progress on the calling thread", pr.other_thread == 0);
    /* The old granularity was one report per image type: 4 for these 3 image types. */
    expect_true("progress finer than per image type", pr.calls > 12);
    printf("progress: %d reports over %.3f s (%zu features)\n", pr.calls, took, rad_features_count(f));
    rad_features_free(f);
    f = NULL;

    /* Cancel: the extraction returns soon after the callback asks. */
    memset(&pr, 0, sizeof pr);
    pr.thread = pthread_self();
    pr.last = -1.0;
    pr.cancel_at = 0.3;
    expect_true("cancelled", rad_extract_with_progress(filters, image, mask, on_progress, &pr, &f) == RAD_CANCELLED);
    took = now() - pr.asked;
    expect_true("nothing written", f == NULL);
    printf("cancel: returned %.1f ms after the callback asked (at %.3f)\n", 1e3 * took, pr.last);
    /* About 100 ms is the aim; the bound leaves room for a loaded test machine. */
    expect_true("cancel within a second", took < 1.0);

    rad_features_free(base);
    rad_settings_free(settings);
    rad_settings_free(warn);
    rad_settings_free(filters);
    rad_image_free(image);
    rad_image_free(mask);
    printf("channels: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
