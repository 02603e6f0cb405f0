// The C++ wrapper: RAII handles move, errors throw radiomics::Error with status and message, and the
// wrapper's features equal the C API's.
//
//     wrapper IMAGE MASK PARAMS
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <radiomics.hpp>

static int failures = 0;

static void check(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "FAIL %s\n", what);
        ++failures;
    }
}

// Runs f, which must throw radiomics::Error with `status` and a message mentioning `needle`.
template <typename F> static void expect_error(F f, rad_status status, const char *needle, const char *what) {
    try {
        f();
        std::fprintf(stderr, "FAIL %s: no exception\n", what);
        ++failures;
    } catch (const radiomics::Error &e) {
        if (e.status() != status || std::strstr(e.what(), needle) == nullptr) {
            std::fprintf(stderr, "FAIL %s: %s %s\n", what, e.status_name(), e.what());
            ++failures;
        }
    }
}

static_assert(!std::is_copy_constructible<radiomics::Image>::value, "handles are move-only");
static_assert(std::is_nothrow_move_constructible<radiomics::Features>::value, "handles move");

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s IMAGE MASK PARAMS\n", argv[0]);
        return 2;
    }
    try {
        radiomics::Settings settings = radiomics::Settings::from_file(argv[3]);
        radiomics::Image image = radiomics::Image::load(argv[1]);
        radiomics::Image mask = radiomics::Image::load(argv[2]);
        radiomics::Features features = radiomics::extract(settings, image, mask);
        check(features.size() > 10, "features extracted");

        // Same values as the C API, bit for bit.
        rad_features *c = nullptr;
        check(rad_extract(settings.get(), image.get(), mask.get(), &c) == RAD_OK, "C extraction");
        check(rad_features_count(c) == features.size(), "same count");
        for (std::size_t i = 0; i < features.size(); ++i) {
            double v = 0.0;
            rad_features_value(c, i, &v);
            double w = features.value(i);
            check(features.name(i) == rad_features_name(c, i), "same name");
            check(std::memcmp(&v, &w, sizeof v) == 0, "same value");
            check(std::memcmp(&w, &v, sizeof v) == 0 && features[features.name(i)] == w, "lookup by name");
        }
        rad_features_free(c);
        check(features.to_csv().compare(0, 11, "name,value\n") == 0, "csv");
        check(features.to_json()[0] == '{', "json");

        // Moves leave the source empty; the moved-to handle works.
        radiomics::Image moved = std::move(image);
        check(image.get() == nullptr && moved.get() != nullptr, "move");
        radiomics::Features again = radiomics::extract(settings, moved, mask);
        check(again.size() == features.size(), "extract after move");

        // Geometry and in-memory images.
        std::vector<std::int16_t> voxels(4 * 3 * 2);
        for (std::size_t i = 0; i < voxels.size(); ++i) voxels[i] = static_cast<std::int16_t>(i % 5);
        std::array<double, 9> rotation = {{0, -1, 0, 1, 0, 0, 0, 0, 1}};
        radiomics::Image small = radiomics::Image::from_buffer(voxels.data(), voxels.size(), {{4, 3, 2}},
                                                               {{0.5, 0.7, 2.0}}, {{1, 2, 3}}, rotation);
        check(small.size()[0] == 4 && small.size()[2] == 2, "size");
        check(small.spacing()[1] == 0.7 && small.origin()[2] == 3.0, "spacing, origin");
        check(small.direction() == rotation, "direction");

        // Errors carry status and message.
        expect_error([] { radiomics::Image::load("/nonexistent/none.nii.gz"); }, RAD_IO, "none.nii.gz", "load");
        expect_error([&] { radiomics::Image::from_buffer(voxels.data(), voxels.size() - 1, {{4, 3, 2}},
                                                         {{1, 1, 1}}, {{0, 0, 0}}); },
                     RAD_INVALID_ARGUMENT, "data_size", "buffer size");
        expect_error([&] { radiomics::extract(settings, moved, small); }, RAD_GEOMETRY_MISMATCH, "grid",
                     "mask of another size");
        expect_error([&] { radiomics::Settings s; s.set("binWidht", "3"); }, RAD_UNSUPPORTED_SETTING, "binWidht",
                     "unknown setting");
        expect_error([&] { features.value(features.size()); }, RAD_INVALID_ARGUMENT, "out of range", "index");
        expect_error([&] { features["original_nothing"]; }, RAD_INVALID_ARGUMENT, "original_nothing", "name");
        int calls = 0;
        expect_error([&] { radiomics::extract(settings, moved, mask, [&](double) { return ++calls < 2; }); },
                     RAD_CANCELLED, "cancelled", "cancel");
        check(calls == 2, "progress called until it said stop");
        try {
            radiomics::extract(settings, moved, mask, [](double) -> bool { throw 1; });
            check(false, "throwing callback cancels and rethrows");
        } catch (int e) {
            check(e == 1, "the callback's int comes back");
        }
        double last = -1.0;
        radiomics::extract(settings, moved, mask, [&](double f) { last = f; return true; });
        check(std::fabs(last - 1.0) < 1e-12, "progress reaches 1");

        // The callback's own exception comes back, after the library has returned (nothing unwinds
        // through C).
        struct Boom {
            double at;
        };
        try {
            radiomics::extract(settings, moved, mask, [](double f) -> bool {
                if (f > 0.3) throw Boom{f};
                return true;
            });
            check(false, "a throwing progress callback rethrows");
        } catch (const Boom &b) {
            check(b.at > 0.3, "the callback's exception, unchanged");
        }

        // Fine progress: by feature class and filter stage, increasing, on this thread.
        radiomics::Settings filters = radiomics::Settings::from_yaml(
            "imageType: {Original: {}, LoG: {sigma: [1.0, 2.0]}, Wavelet: {}}\n"
            "featureClass: {firstorder: , glcm: , glrlm: , glszm: , gldm: , ngtdm: }\n"
            "setting: {binWidth: 25}");
        std::vector<double> fractions;
        radiomics::Features filtered =
            radiomics::extract(filters, moved, mask, [&](double f) { fractions.push_back(f); return true; });
        bool increasing = true;
        for (std::size_t i = 1; i < fractions.size(); ++i) increasing = increasing && fractions[i] > fractions[i - 1];
        check(increasing && fractions.front() == 0.0 && fractions.back() == 1.0, "progress 0 .. 1, increasing");
        // One report per image type was 4 reports for 3 image types; now many more.
        check(fractions.size() > 8, "progress finer than per image type");
        std::printf("progress: %zu reports for %zu features\n", fractions.size(), filtered.size());

        // Threads per call: the same bits with 1, 2 or 3 threads; too many is refused.
        expect_error([&] { radiomics::Settings s; s.set_threads(100000); }, RAD_UNSUPPORTED_SETTING, "threads",
                     "too many threads");
        for (std::uint32_t n : {1u, 2u, 3u}) {
            radiomics::Settings threaded = radiomics::Settings::from_file(argv[3]);
            threaded.set_threads(n);
            radiomics::Features t = radiomics::extract(threaded, moved, mask);
            bool same = t.size() == features.size();
            for (std::size_t i = 0; same && i < t.size(); ++i) {
                double a = t.value(i), b = features.value(i);
                same = std::memcmp(&a, &b, sizeof a) == 0;
            }
            check(same, "threads: bit-identical features");
        }

        // Warnings: kept with the features and passed to the thread's log handler.
        radiomics::Settings too_big = radiomics::Settings::from_yaml(
            "imageType: {Original: {}, LoG: {sigma: [1000.0]}}\nfeatureClass: {firstorder: [Mean]}");
        std::vector<std::string> logged;
        radiomics::set_log_handler([&](std::int32_t level, const std::string &m) {
            if (level == RAD_LOG_WARNING) logged.push_back(m);
        });
        radiomics::Features warned = radiomics::extract(too_big, moved, mask);
        check(warned.warnings().size() == 1 && warned.warnings()[0].find("LoG sigma 1000") != std::string::npos,
              "the skipped sigma is a warning");
        check(logged == warned.warnings(), "the log handler heard it");
        struct Stop {};
        radiomics::set_log_handler([](std::int32_t, const std::string &) { throw Stop(); });
        try {
            radiomics::extract(too_big, moved, mask);
            check(false, "a throwing log handler rethrows");
        } catch (const Stop &) {
        }
        radiomics::set_log_handler(radiomics::LogHandler());
        check(radiomics::extract(too_big, moved, mask).warnings().size() == 1, "no handler: still kept");

        // Stored pixel type, and a multi-sequence case with prefixed names.
        check(moved.pixel_type() == RAD_INT16, "brain1 is int16");
        radiomics::Features pair = radiomics::extract_case(settings, {{"t1c", moved}, {"adc", moved}}, mask);
        check(pair.size() == 2 * features.size(), "two modalities");
        check(pair.name(0) == "t1c_" + features.name(0), "prefixed");
        check(pair.value(features.size()) == features.value(0), "second modality, same values");
    } catch (const radiomics::Error &e) {
        std::fprintf(stderr, "FAIL unexpected %s: %s\n", e.status_name(), e.what());
        return 1;
    }
    std::printf("wrapper: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
