// A small ordered document that gssneg-inspect fills while decoding a token
// and then prints either as indented text or as one JSON object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gssneg::inspect {

class Value final {
public:
    enum class Kind { text, token, number, boolean, object, array };

    // A string that came from the peer: quoted and escaped in both outputs.
    static Value text(std::string s);
    // A value we formatted (hex, a date, a flag list): bare in text output,
    // a JSON string.
    static Value token(std::string s);
    static Value number(uint64_t n);
    static Value boolean(bool b);
    static Value object();
    static Value array();

    // Appends to an object (keys keep their insertion order) or an array.
    Value& add(std::string key, Value v);
    Value& push(Value v);

    Kind kind() const noexcept { return m_kind; }
    // The first member named key, or nullptr.
    const Value* get(const std::string& key) const noexcept;
    const std::string& str() const noexcept { return m_str; }

    std::string to_json() const;
    std::string to_text() const;

private:
    explicit Value(Kind kind) : m_kind(kind) {}
    bool is_scalar() const noexcept { return m_kind != Kind::object && m_kind != Kind::array; }
    std::string scalar_text() const;
    void write_json(std::string& out, size_t indent) const;
    void write_text_members(std::string& out, size_t indent) const;

    Kind m_kind;
    std::string m_str;
    uint64_t m_number = 0;
    bool m_bool = false;
    std::vector<std::string> m_keys;
    std::vector<Value> m_items;
};

// JSON string literal, with quotes: control characters, '"' and '\\' escaped.
std::string json_quote(const std::string& s);

}  // namespace gssneg::inspect
