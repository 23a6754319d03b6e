// Reads test/data/*.vectors: "name = hex" or name = "string" per line.
#pragma once

#include "util/bytes.h"

#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace gssneg::test {

class Vectors final {
public:
    explicit Vectors(const std::string& file) {
        std::ifstream in(std::string(GSSNEG_TEST_DATA_DIR) + "/" + file);
        if (!in) throw std::runtime_error("cannot open vectors file " + file);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            const auto eq = line.find(" = ");
            if (eq == std::string::npos) throw std::runtime_error("bad vectors line: " + line);
            m_values[line.substr(0, eq)] = line.substr(eq + 3);
        }
    }

    Bytes hex(const std::string& name) const { return from_hex(raw(name)); }
    std::string str(const std::string& name) const {
        const std::string v = raw(name);
        if (v.size() < 2 || v.front() != '"' || v.back() != '"')
            throw std::runtime_error("vector is not a string: " + name);
        return v.substr(1, v.size() - 2);
    }
    uint32_t u32(const std::string& name) const { return static_cast<uint32_t>(std::stoul(raw(name), nullptr, 16)); }

private:
    std::string raw(const std::string& name) const {
        const auto it = m_values.find(name);
        if (it == m_values.end()) throw std::runtime_error("no vector named " + name);
        return it->second;
    }
    std::map<std::string, std::string> m_values;
};

inline const Vectors& ms_nlmp() {
    static const Vectors v("ms_nlmp_4_2.vectors");
    return v;
}

}  // namespace gssneg::test
