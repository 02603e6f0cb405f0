// extract: the features of one image and mask, printed as `name,value` CSV (C++ wrapper).
//
//     extract IMAGE MASK [PARAMS]
//
// IMAGE and MASK are NIfTI (.nii, .nii.gz) or NRRD files; PARAMS is a PyRadiomics parameter file (YAML or
// JSON), PyRadiomics' defaults without one. Prints whatever features the settings enable.
#include <cstdio>
#include <iostream>

#include <radiomics.hpp>

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        std::cerr << "usage: " << argv[0] << " IMAGE MASK [PARAMS]\n";
        return 2;
    }
    try {
        radiomics::Settings settings = argc == 4 ? radiomics::Settings::from_file(argv[3]) : radiomics::Settings();
        radiomics::Image image = radiomics::Image::load(argv[1]);
        radiomics::Image mask = radiomics::Image::load(argv[2]);
        radiomics::Features features = radiomics::extract(settings, image, mask);
        std::printf("name,value\n");
        for (std::size_t i = 0; i < features.size(); ++i) {
            std::printf("%s,%.17g\n", features.name(i).c_str(), features.value(i));
        }
    } catch (const radiomics::Error &e) {
        std::cerr << "extract: " << e.status_name() << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
