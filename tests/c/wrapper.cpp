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
        expect_error([&] { radiomics::extract(settings, moved, mask, [](double) -> bool { throw 1; }); },
                     RAD_CANCELLED, "cancelled", "throwing callback cancels");
        double last = -1.0;
        radiomics::extract(settings, moved, mask, [&](double f) { last = f; return true; });
        check(std::fabs(last - 1.0) < 1e-12, "progress reaches 1");
    } catch (const radiomics::Error &e) {
        std::fprintf(stderr, "FAIL unexpected %s: %s\n", e.status_name(), e.what());
        return 1;
    }
    std::printf("wrapper: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
