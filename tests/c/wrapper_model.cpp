// radiomics::Model: the C++ wrapper predicts the demo's case from its images with the command-line tool's
// probability, moves, and throws radiomics::Error with the status and message of a failure.
//
//     wrapper_model DEMO_DIR CLI_CSV
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
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

static std::string read_text(const std::string &path) {
    std::ifstream in(path.c_str(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

static_assert(!std::is_copy_constructible<radiomics::Model>::value, "models are move-only");
static_assert(std::is_nothrow_move_constructible<radiomics::Model>::value, "models move");

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s DEMO_DIR CLI_CSV\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    // The CLI's answer: `case_id,probability,prediction` on the second line.
    std::istringstream csv(read_text(argv[2]));
    std::string header, case_id, probability, prediction;
    std::getline(csv, header);
    std::getline(csv, case_id, ',');
    std::getline(csv, probability, ',');
    std::getline(csv, prediction);
    const double cli = std::strtod(probability.c_str(), nullptr);
    try {
        radiomics::Model model = radiomics::Model::load(dir + "/model.json");
        const std::string base = dir + "/cohort/" + case_id;
        radiomics::Image t1c = radiomics::Image::load(base + "_t1c.nii.gz");
        radiomics::Image adc = radiomics::Image::load(base + "_adc.nii.gz");
        radiomics::Image fa = radiomics::Image::load(base + "_fa.nii.gz");
        radiomics::Image mask = radiomics::Image::load(base + "_mask.nii.gz");

        const double p = model.predict_case({{"t1c", t1c}, {"adc", adc}, {"fa", fa}}, mask);
        check(p == cli, "probability equals the CLI's");
        check((p >= model.threshold()) == (prediction == "1"), "prediction equals the CLI's");
        std::printf("case %s: probability %.17g (CLI %.17g)\n", case_id.c_str(), p, cli);

        const std::vector<std::string> names = model.feature_names();
        check(names.size() > 10, "feature names");
        check(names.front().find('_') != std::string::npos, "prefixed names");

        // Moving leaves the source empty and the target working.
        radiomics::Model moved(std::move(model));
        check(model.get() == nullptr && moved.get() != nullptr, "move");
        radiomics::Model again = radiomics::Model::from_json(read_text(dir + "/model.json"));
        check(again.predict_case({{"fa", fa}, {"adc", adc}, {"t1c", t1c}}, mask) == p, "from_json, any order");
        again = std::move(moved);
        check(again.threshold() > 0.0 && again.threshold() < 1.0, "threshold");

        // Errors.
        expect_error([&] { again.predict_case({{"pd", t1c}, {"swi", adc}, {"dwi", fa}}, mask); },
                     RAD_MODEL_MISMATCH, "which the input lacks", "modalities the model does not know");
        expect_error([&] { again.predict_case({}, mask); }, RAD_INVALID_ARGUMENT, "at least one image",
                     "no images");
        radiomics::Settings settings = radiomics::Settings::from_yaml("featureClass: {firstorder: }");
        radiomics::Features plain = radiomics::extract(settings, t1c, mask);
        expect_error([&] { again.predict(plain); }, RAD_MODEL_MISMATCH, "the model needs feature",
                     "unprefixed features");
        expect_error([&] { radiomics::Model::load(dir + "/no_model.json"); }, RAD_IO, "no_model.json",
                     "missing file");
        expect_error([&] { radiomics::Model::from_json("{\"format_version\": 1"); }, RAD_MODEL_MISMATCH,
                     "invalid JSON", "corrupt text");
    } catch (const radiomics::Error &e) {
        std::fprintf(stderr, "FAIL unexpected %s: %s\n", e.status_name(), e.what());
        return 1;
    }
    std::printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
