// gssneg-gen-docs: prints what the build and the docs test make from the
// option table (util/option_table.h). Not installed.
//
//   gssneg-gen-docs example OPTIONS_FILE     the example options file
//   gssneg-gen-docs man5 OPTIONS_FILE VERSION gss-negotiate.conf(5)
//   gssneg-gen-docs markdown                 the README's table

#include "util/option_table.h"

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    std::string out;
    if (argc == 3 && std::strcmp(argv[1], "example") == 0) {
        out = gssneg::options_example(argv[2]);
    } else if (argc == 4 && std::strcmp(argv[1], "man5") == 0) {
        out = gssneg::options_man_page(argv[2], argv[3]);
    } else if (argc == 2 && std::strcmp(argv[1], "markdown") == 0) {
        out = gssneg::options_markdown();
    } else {
        std::fputs("usage: gssneg-gen-docs example OPTIONS_FILE | man5 OPTIONS_FILE VERSION | markdown\n", stderr);
        return 2;
    }
    return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() ? 0 : 1;
}
