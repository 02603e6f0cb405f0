// radiomics.hpp: a header-only C++11 wrapper over the radiomics C API (radiomics.h).
//
// - Handles are move-only RAII objects: Settings, Image, Features, Model. Each frees its C handle once.
// - Every failure throws radiomics::Error, which carries the rad_status and the library's message.
// - Thread-safety is the C API's: const objects may be shared between threads.
// - Callbacks (progress, log) may throw: the wrapper catches the exception in its trampoline (nothing
//   unwinds through the library), cancels the call, and rethrows the original exception once the C call
//   has returned. (A raw C callback given to the C API directly must never unwind or longjmp.)
// - The first object made checks that the library loaded at run time provides this header's ABI
//   (rad_abi_version() >= RAD_ABI_VERSION), and throws Error (RAD_INTERNAL) when it is older.
//
//     radiomics::Settings settings = radiomics::Settings::from_file("params.yaml");
//     radiomics::Image image = radiomics::Image::load("image.nii.gz");
//     radiomics::Image mask = radiomics::Image::load("mask.nii.gz");
//     radiomics::Features features = radiomics::extract(settings, image, mask);
//     for (std::size_t i = 0; i < features.size(); ++i)
//         std::cout << features.name(i) << " " << features.value(i) << "\n";
//
//     radiomics::Model model = radiomics::Model::load("model.json");
//     double p = model.predict_case({{"t1c", t1c}, {"adc", adc}, {"fa", fa}}, mask);
//     bool positive = p >= model.threshold();
#ifndef RADIOMICS_HPP
#define RADIOMICS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <radiomics.h>

namespace radiomics {

/// A failure of the library: what() is the library's message, status() the rad_status code.
class Error : public std::runtime_error {
public:
    Error(rad_status status, const std::string &message) : std::runtime_error(message), status_(status) {}

    /// The C status code (RAD_IO, RAD_EMPTY_ROI, ...).
    rad_status status() const noexcept { return status_; }

    /// The name of the status code ("RAD_IO", ...).
    const char *status_name() const noexcept { return rad_status_name(status_); }

private:
    rad_status status_;
};

/// A log handler: the level (RAD_LOG_WARNING, RAD_LOG_ERROR, ...) and the message.
typedef std::function<void(std::int32_t, const std::string &)> LogHandler;

namespace detail {

/// The calling thread's log handler, and an exception it threw that waits to be rethrown.
struct LogState {
    LogHandler handler;
    std::exception_ptr pending;
};

inline LogState &log_state() {
    static thread_local LogState state;
    return state;
}

/// Rethrows the exception a log handler threw during the last C call on this thread, if any.
inline void rethrow_pending() {
    LogState &s = log_state();
    if (s.pending) {
        std::exception_ptr e = s.pending;
        s.pending = nullptr;
        std::rethrow_exception(e);
    }
}

/// Throws an Error for a status other than RAD_OK, with this thread's last error message; first rethrows
/// an exception the thread's log handler threw during the call.
inline void check(rad_status status) {
    rethrow_pending();
    if (status != RAD_OK) {
        throw Error(status, rad_last_error_message());
    }
}

/// Throws Error (RAD_INTERNAL) when the library loaded at run time is older than this header.
inline void check_abi() {
    static const std::uint32_t loaded = rad_abi_version();
    if (loaded < RAD_ABI_VERSION) {
        throw Error(RAD_INTERNAL, "libradiomics " + std::string(rad_version_string()) + " provides ABI " +
                                      std::to_string(loaded) + ", older than the ABI " +
                                      std::to_string(RAD_ABI_VERSION) + " of this radiomics.hpp");
    }
}

/// Passes a log message to the thread's handler; an exception it throws is kept for rethrow_pending().
inline void call_log(void *, std::int32_t level, const char *message) {
    LogState &s = log_state();
    if (!s.handler || s.pending) {
        return;
    }
    try {
        s.handler(level, message);
    } catch (...) {
        s.pending = std::current_exception();
    }
}

/// A move-only owner of a C handle freed by `Free`.
template <typename T, void (*Free)(T *)>
class Handle {
public:
    Handle() noexcept : p_(nullptr) {}
    explicit Handle(T *p) noexcept : p_(p) {}
    Handle(Handle &&other) noexcept : p_(other.p_) { other.p_ = nullptr; }
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            Free(p_);
            p_ = other.p_;
            other.p_ = nullptr;
        }
        return *this;
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    ~Handle() { Free(p_); }

    T *get() const noexcept { return p_; }

private:
    T *p_;
};

template <typename T> struct DType;
template <> struct DType<std::uint8_t> { static const std::int32_t value = RAD_UINT8; };
template <> struct DType<std::int8_t> { static const std::int32_t value = RAD_INT8; };
template <> struct DType<std::uint16_t> { static const std::int32_t value = RAD_UINT16; };
template <> struct DType<std::int16_t> { static const std::int32_t value = RAD_INT16; };
template <> struct DType<std::uint32_t> { static const std::int32_t value = RAD_UINT32; };
template <> struct DType<std::int32_t> { static const std::int32_t value = RAD_INT32; };
template <> struct DType<std::uint64_t> { static const std::int32_t value = RAD_UINT64; };
template <> struct DType<std::int64_t> { static const std::int32_t value = RAD_INT64; };
template <> struct DType<float> { static const std::int32_t value = RAD_FLOAT32; };
template <> struct DType<double> { static const std::int32_t value = RAD_FLOAT64; };

/// A progress callback and the exception it threw, if any.
struct ProgressState {
    std::function<bool(double)> *progress;
    std::exception_ptr error;
};

/// Passes progress to a std::function; an exception thrown by it is kept and cancels the extraction.
inline int call_progress(void *user, double fraction) {
    ProgressState *s = static_cast<ProgressState *>(user);
    try {
        return (*s->progress)(fraction) ? 0 : 1;
    } catch (...) {
        s->error = std::current_exception();
        return 1;
    }
}

} // namespace detail

/// The library's version string ("MAJOR.MINOR.PATCH") at run time.
inline std::string version() { return rad_version_string(); }

/// Installs `handler` as the calling thread's log handler: the library's messages of level `min_level`
/// and above (RAD_LOG_WARNING: the warnings of each extraction; RAD_LOG_ERROR: failures) reach it on this
/// thread, before the call they belong to returns. An exception the handler throws is rethrown when that
/// call returns (later messages of the call are then dropped). An empty handler removes it.
inline void set_log_handler(LogHandler handler, std::int32_t min_level = RAD_LOG_WARNING) {
    detail::LogState &s = detail::log_state();
    s.handler = handler;
    s.pending = nullptr;
    if (handler) {
        detail::check(rad_set_log_callback(&detail::call_log, nullptr, min_level));
    } else {
        detail::check(rad_set_log_callback(nullptr, nullptr, min_level));
    }
}

/// Extraction settings (PyRadiomics' parameter file).
class Settings {
public:
    /// PyRadiomics' defaults.
    Settings() {
        detail::check_abi();
        rad_settings *p = nullptr;
        detail::check(rad_settings_new(&p));
        h_ = Handle(p);
    }

    /// Reads a parameter file (YAML, or JSON when the name ends in .json).
    static Settings from_file(const std::string &path) {
        detail::check_abi();
        rad_settings *p = nullptr;
        detail::check(rad_settings_from_file(path.c_str(), &p));
        return Settings(p);
    }

    /// Parses a YAML (or JSON) parameter document.
    static Settings from_yaml(const std::string &text) {
        detail::check_abi();
        rad_settings *p = nullptr;
        detail::check(rad_settings_from_yaml(text.c_str(), &p));
        return Settings(p);
    }

    /// Parses a JSON parameter document.
    static Settings from_json(const std::string &text) {
        detail::check_abi();
        rad_settings *p = nullptr;
        detail::check(rad_settings_from_json(text.c_str(), &p));
        return Settings(p);
    }

    /// Sets a key of the `setting` section to a YAML/JSON value ("25", "[1, 2]", "null").
    Settings &set(const std::string &key, const std::string &value) {
        detail::check(rad_settings_set(h_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    /// Fixed bin width (clears binCount).
    Settings &set_bin_width(double width) {
        detail::check(rad_settings_set_bin_width(h_.get(), width));
        return *this;
    }
    /// Fixed number of bins.
    Settings &set_bin_count(std::int32_t count) {
        detail::check(rad_settings_set_bin_count(h_.get(), count));
        return *this;
    }
    /// The ROI's label value.
    Settings &set_label(std::int64_t label) {
        detail::check(rad_settings_set_label(h_.get(), label));
        return *this;
    }
    /// The most worker threads one extraction with these settings uses (0: the caller's pool, the
    /// default; at most 1024). Features are bit-identical for any value.
    Settings &set_threads(std::uint32_t threads) {
        detail::check(rad_settings_set_threads(h_.get(), threads));
        return *this;
    }
    /// Replaces the enabled image types with a YAML/JSON mapping ("{Original: {}}").
    Settings &set_image_types(const std::string &image_types) {
        detail::check(rad_settings_set_image_types(h_.get(), image_types.c_str()));
        return *this;
    }

    /// The C handle, still owned by this object.
    const rad_settings *get() const noexcept { return h_.get(); }

private:
    typedef detail::Handle<rad_settings, rad_settings_free> Handle;
    explicit Settings(rad_settings *p) : h_(p) {}
    Handle h_;
};

/// A volume on a physical grid (an image, or a label image used as a mask).
class Image {
public:
    /// Reads a NIfTI, NRRD or MetaImage file, or a DICOM series (a folder).
    static Image load(const std::string &path) {
        detail::check_abi();
        rad_image *p = nullptr;
        detail::check(rad_image_load(path.c_str(), &p));
        return Image(p);
    }

    /// Reads the DICOM series `series_uid` (its SeriesInstanceUID) of a folder holding several.
    static Image load_series(const std::string &folder, const std::string &series_uid) {
        detail::check_abi();
        rad_image *p = nullptr;
        detail::check(rad_image_load_series(folder.c_str(), series_uid.c_str(), &p));
        return Image(p);
    }

    /// Copies `dims[0] * dims[1] * dims[2]` voxels of type T, x fastest, with their geometry (x, y, z;
    /// direction row-major).
    template <typename T>
    static Image from_buffer(const T *data, std::size_t count, const std::array<std::size_t, 3> &dims,
                             const std::array<double, 3> &spacing, const std::array<double, 3> &origin,
                             const std::array<double, 9> &direction = {{1, 0, 0, 0, 1, 0, 0, 0, 1}}) {
        detail::check_abi();
        rad_image *p = nullptr;
        detail::check(rad_image_from_buffer(data, count * sizeof(T), detail::DType<T>::value, dims.data(),
                                            spacing.data(), origin.data(), direction.data(), &p));
        return Image(p);
    }

    /// Voxels along x, y, z.
    std::array<std::size_t, 3> size() const {
        std::array<std::size_t, 3> v;
        detail::check(rad_image_size(h_.get(), v.data()));
        return v;
    }
    /// Spacing along x, y, z (mm).
    std::array<double, 3> spacing() const {
        std::array<double, 3> v;
        detail::check(rad_image_spacing(h_.get(), v.data()));
        return v;
    }
    /// World position (LPS mm) of the first voxel.
    std::array<double, 3> origin() const {
        std::array<double, 3> v;
        detail::check(rad_image_origin(h_.get(), v.data()));
        return v;
    }
    /// Direction cosines, row-major.
    std::array<double, 9> direction() const {
        std::array<double, 9> v;
        detail::check(rad_image_direction(h_.get(), v.data()));
        return v;
    }
    /// The rad_dtype the voxels were stored in (RAD_INT16, ...), or 0 for computed (floating-point)
    /// values.
    std::int32_t pixel_type() const {
        std::int32_t t = 0;
        detail::check(rad_image_pixel_type(h_.get(), &t));
        return t;
    }
    /// The voxels as doubles, x fastest (the C order of an array indexed [z][y][x]).
    std::vector<double> voxels() const {
        std::array<std::size_t, 3> n = size();
        std::vector<double> v(n[0] * n[1] * n[2]);
        detail::check(rad_image_copy_voxels(h_.get(), v.data(), v.size()));
        return v;
    }

    /// The C handle, still owned by this object.
    const rad_image *get() const noexcept { return h_.get(); }

private:
    typedef detail::Handle<rad_image, rad_image_free> Handle;
    explicit Image(rad_image *p) : h_(p) {}
    friend class FeatureMaps;
    Handle h_;
};

/// Named feature values in PyRadiomics' order.
class Features {
public:
    /// Number of features.
    std::size_t size() const noexcept { return rad_features_count(h_.get()); }

    /// Name of feature i; throws for an index out of range.
    std::string name(std::size_t i) const {
        const char *n = rad_features_name(h_.get(), i);
        if (n == nullptr) {
            throw Error(RAD_INVALID_ARGUMENT, rad_last_error_message());
        }
        return n;
    }

    /// Value of feature i; throws for an index out of range.
    double value(std::size_t i) const {
        double v = 0.0;
        detail::check(rad_features_value(h_.get(), i, &v));
        return v;
    }

    /// Value of the feature `name`; throws when there is none.
    double operator[](const std::string &name) const {
        double v = 0.0;
        detail::check(rad_features_find(h_.get(), name.c_str(), &v));
        return v;
    }

    /// `name,value` CSV, as the command-line tool writes it.
    std::string to_csv() const { return text(rad_features_to_csv); }

    /// One JSON object, in order.
    std::string to_json() const { return text(rad_features_to_json); }

    /// The warnings raised while the features were computed, in order.
    std::vector<std::string> warnings() const {
        std::vector<std::string> out;
        std::size_t n = rad_features_warning_count(h_.get());
        for (std::size_t i = 0; i < n; ++i) {
            const char *w = rad_features_warning(h_.get(), i);
            if (w != nullptr) out.push_back(w);
        }
        return out;
    }

    /// The C handle, still owned by this object.
    const rad_features *get() const noexcept { return h_.get(); }

private:
    typedef detail::Handle<rad_features, rad_features_free> Handle;
    explicit Features(rad_features *p) : h_(p) {}
    friend Features extract(const Settings &, const Image &, const Image &);
    friend Features extract(const Settings &, const Image &, const Image &, std::function<bool(double)>);
    friend Features extract_case(const Settings &,
                                 const std::vector<std::pair<std::string, std::reference_wrapper<const Image>>> &,
                                 const Image &, const std::vector<const Settings *> &);

    std::string text(rad_status (*f)(const rad_features *, char **)) const {
        char *s = nullptr;
        detail::check(f(h_.get(), &s));
        std::string out(s);
        rad_string_free(s);
        return out;
    }

    Handle h_;
};

/// Every feature the settings enable, for the ROI of `mask` in `image`.
inline Features extract(const Settings &settings, const Image &image, const Image &mask) {
    rad_features *p = nullptr;
    rad_status st = rad_extract(settings.get(), image.get(), mask.get(), &p);
    Features features(p); // owned before anything can throw
    detail::check(st);
    return features;
}

/// As extract(), reporting progress (0..1, by feature class and filter stage, on the calling thread) to
/// `progress`. Returning false cancels, and the call then throws Error with status RAD_CANCELLED; throwing
/// cancels too, and the call rethrows that exception once the library has returned.
inline Features extract(const Settings &settings, const Image &image, const Image &mask,
                        std::function<bool(double)> progress) {
    rad_features *p = nullptr;
    detail::ProgressState state = {&progress, nullptr};
    rad_status st = rad_extract_with_progress(settings.get(), image.get(), mask.get(), &detail::call_progress,
                                              &state, &p);
    Features features(p); // owned before anything can throw
    if (state.error) {
        detail::log_state().pending = nullptr;
        std::rethrow_exception(state.error);
    }
    detail::check(st);
    return features;
}

/// The features of a multi-sequence case, named with the modality as prefix ("t1c_original_..."):
/// `extract_case(settings, {{"t1c", t1c}, {"adc", adc}}, mask)`. `image_settings`, when not empty, holds
/// one entry per image (nullptr: use `settings`). Images on another grid are resampled onto the mask's.
/// The result is what Model::predict() reads.
inline Features extract_case(const Settings &settings,
                             const std::vector<std::pair<std::string, std::reference_wrapper<const Image>>> &images,
                             const Image &mask, const std::vector<const Settings *> &image_settings = {}) {
    if (!image_settings.empty() && image_settings.size() != images.size()) {
        throw Error(RAD_INVALID_ARGUMENT, "extract_case: image_settings must be empty or hold one entry per image");
    }
    std::vector<const char *> names;
    std::vector<const rad_image *> handles;
    std::vector<const rad_settings *> per;
    for (std::size_t i = 0; i < images.size(); ++i) {
        names.push_back(images[i].first.c_str());
        handles.push_back(images[i].second.get().get());
        if (!image_settings.empty()) {
            per.push_back(image_settings[i] == nullptr ? nullptr : image_settings[i]->get());
        }
    }
    rad_features *p = nullptr;
    rad_status st = rad_extract_case(settings.get(), images.size(), names.data(), handles.data(),
                                     per.empty() ? nullptr : per.data(), mask.get(), &p);
    Features features(p); // owned before anything can throw
    detail::check(st);
    return features;
}

/// A trained model (a model file from `radiomics train` or `radiomics demo`). Immutable: a const Model may
/// be shared between threads.
/// Voxel-based feature maps (rad_extract_maps): one map of doubles per feature, all on one grid (the
/// ROI's bounding box grown by `kernelRadius`), `initValue` outside the ROI.
class FeatureMaps {
public:
    /// Number of maps.
    std::size_t size() const noexcept { return rad_maps_count(h_.get()); }

    /// Feature name of map i; throws for an index out of range.
    std::string name(std::size_t i) const {
        const char *n = rad_maps_name(h_.get(), i);
        if (n == nullptr) {
            throw Error(RAD_INVALID_ARGUMENT, rad_last_error_message());
        }
        return n;
    }

    /// Values of map i, x fastest (the voxel count of image(i)); owned by this object. Throws for an
    /// index out of range.
    const double *data(std::size_t i) const {
        const double *d = rad_maps_data(h_.get(), i);
        if (d == nullptr) {
            throw Error(RAD_INVALID_ARGUMENT, rad_last_error_message());
        }
        return d;
    }

    /// Map i as an image (a copy) with the maps' grid: size, spacing, origin, direction.
    Image image(std::size_t i) const {
        rad_image *p = nullptr;
        detail::check(rad_maps_image(h_.get(), i, &p));
        return Image(p);
    }

    /// The C handle, still owned by this object.
    const rad_maps *get() const noexcept { return h_.get(); }

private:
    typedef detail::Handle<rad_maps, rad_maps_free> Handle;
    explicit FeatureMaps(rad_maps *p) : h_(p) {}
    friend FeatureMaps extract_maps(const Settings &, const Image &, const Image &,
                                    std::function<bool(double)>);
    Handle h_;
};

/// Voxel-based extraction, with the kernels of the settings' `voxelSetting` section; `progress` (0..1)
/// may cancel by returning false or throwing (the call then throws Error with status RAD_CANCELLED).
inline FeatureMaps extract_maps(const Settings &settings, const Image &image, const Image &mask,
                                std::function<bool(double)> progress = std::function<bool(double)>()) {
    rad_maps *p = nullptr;
    if (progress) {
        detail::check(rad_extract_maps(settings.get(), image.get(), mask.get(), &detail::call_progress,
                                       &progress, &p));
    } else {
        detail::check(rad_extract_maps(settings.get(), image.get(), mask.get(), nullptr, nullptr, &p));
    }
    return FeatureMaps(p);
}

class Model {
public:
    /// One image of a case: its modality name ("t1c", "adc", ...) and the image, borrowed for the call.
    typedef std::pair<std::string, std::reference_wrapper<const Image>> CaseImage;

    /// Reads a model file, checking its format version and checksum.
    static Model load(const std::string &path) {
        detail::check_abi();
        rad_model *p = nullptr;
        detail::check(rad_model_load(path.c_str(), &p));
        return Model(p);
    }

    /// Parses the text of a model file.
    static Model from_json(const std::string &text) {
        detail::check_abi();
        rad_model *p = nullptr;
        detail::check(rad_model_from_json(text.c_str(), &p));
        return Model(p);
    }

    /// The features the model was trained on, in training order.
    std::vector<std::string> feature_names() const {
        std::size_t n = 0;
        detail::check(rad_model_feature_count(h_.get(), &n));
        std::vector<std::string> names;
        names.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const char *name = nullptr;
            detail::check(rad_model_feature_name(h_.get(), i, &name));
            names.push_back(name);
        }
        return names;
    }

    /// The decision threshold: a probability at least this is a positive prediction.
    double threshold() const {
        double t = 0.0;
        detail::check(rad_model_threshold(h_.get(), &t));
        return t;
    }

    /// P(label = 1) from a feature set (its names looked up; throws RAD_MODEL_MISMATCH when one the model
    /// needs is missing).
    double predict(const Features &features) const {
        double p = 0.0;
        detail::check(rad_model_predict(h_.get(), features.get(), &p));
        return p;
    }

    /// P(label = 1) for a case given as images by modality, extracted with the model's own settings:
    /// `model.predict_case({{"t1c", t1c}, {"adc", adc}}, mask)`.
    double predict_case(const std::vector<CaseImage> &images, const Image &mask) const {
        std::vector<const char *> names;
        std::vector<const rad_image *> handles;
        names.reserve(images.size());
        handles.reserve(images.size());
        for (std::size_t i = 0; i < images.size(); ++i) {
            names.push_back(images[i].first.c_str());
            handles.push_back(images[i].second.get().get());
        }
        double p = 0.0;
        detail::check(rad_model_predict_case(h_.get(), images.size(), names.data(), handles.data(), mask.get(),
                                             &p));
        return p;
    }

    /// The C handle, still owned by this object.
    const rad_model *get() const noexcept { return h_.get(); }

private:
    typedef detail::Handle<rad_model, rad_model_free> Handle;
    explicit Model(rad_model *p) : h_(p) {}
    Handle h_;
};

} // namespace radiomics

#endif // RADIOMICS_HPP
