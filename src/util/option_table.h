// The options of the options file, each described once. The parser
// (config.cpp) accepts exactly the keys of this table, and the installed
// example file, the gss-negotiate.conf(5) man page and the README's table
// are all printed from it (tools/gen_docs.cpp), so that none of them can
// name an option, a default or a variable the others do not.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace gssneg {

struct OptionDoc {
    std::string_view name;
    std::string_view values;        // the syntax: "0-5", "yes or no", ...
    std::string_view default_text;  // the default, as a person reads it
    std::string_view example;       // the value shown in the example file
    std::string_view env;           // the variable that overrides it, or ""
    std::string_view summary;       // one line, for tables
    std::string_view text;          // the whole description, plain sentences
    bool weakens = false;           // a value other than the default weakens security
    bool repeatable = false;        // each line adds one more value
};

std::span<const OptionDoc> option_docs() noexcept;
// The entry for a key (compared without case), or nullptr.
const OptionDoc* find_option(std::string_view key) noexcept;

// The example options file: every option commented out with its example
// value and its description. options_file is the path the module reads.
std::string options_example(std::string_view options_file);
// gss-negotiate.conf(5) in man(7) roff.
std::string options_man_page(std::string_view options_file, std::string_view version);
// The README's table of options (Markdown).
std::string options_markdown();

}  // namespace gssneg
