#include "inspect_value.h"

#include <cstdio>
#include <utility>

namespace gssneg::inspect {

Value Value::text(std::string s) {
    Value v(Kind::text);
    v.m_str = std::move(s);
    return v;
}

Value Value::token(std::string s) {
    Value v(Kind::token);
    v.m_str = std::move(s);
    return v;
}

Value Value::number(uint64_t n) {
    Value v(Kind::number);
    v.m_number = n;
    return v;
}

Value Value::boolean(bool b) {
    Value v(Kind::boolean);
    v.m_bool = b;
    return v;
}

Value Value::object() {
    return Value(Kind::object);
}

Value Value::array() {
    return Value(Kind::array);
}

Value& Value::add(std::string key, Value v) {
    m_keys.push_back(std::move(key));
    m_items.push_back(std::move(v));
    return m_items.back();
}

Value& Value::push(Value v) {
    m_items.push_back(std::move(v));
    return m_items.back();
}

const Value* Value::get(const std::string& key) const noexcept {
    for (size_t i = 0; i < m_keys.size(); ++i)
        if (m_keys[i] == key) return &m_items[i];
    return nullptr;
}

std::string json_quote(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20 || u == 0x7f) {
                char esc[8];
                std::snprintf(esc, sizeof esc, "\\u%04x", u);
                out += esc;
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

std::string Value::scalar_text() const {
    switch (m_kind) {
    case Kind::text: return json_quote(m_str);
    case Kind::token: return m_str;
    case Kind::number: return std::to_string(m_number);
    case Kind::boolean: return m_bool ? "yes" : "no";
    case Kind::object:
    case Kind::array: break;
    }
    return {};
}

void Value::write_json(std::string& out, size_t indent) const {
    switch (m_kind) {
    case Kind::text:
    case Kind::token: out += json_quote(m_str); return;
    case Kind::number: out += std::to_string(m_number); return;
    case Kind::boolean: out += m_bool ? "true" : "false"; return;
    case Kind::object:
    case Kind::array: break;
    }
    const bool is_object = m_kind == Kind::object;
    out += is_object ? '{' : '[';
    if (m_items.empty()) {
        out += is_object ? '}' : ']';
        return;
    }
    for (size_t i = 0; i < m_items.size(); ++i) {
        out += i == 0 ? "\n" : ",\n";
        out.append(indent + 2, ' ');
        if (is_object) {
            out += json_quote(m_keys[i]);
            out += ": ";
        }
        m_items[i].write_json(out, indent + 2);
    }
    out += '\n';
    out.append(indent, ' ');
    out += is_object ? '}' : ']';
}

std::string Value::to_json() const {
    std::string out;
    write_json(out, 0);
    out += '\n';
    return out;
}

void Value::write_text_members(std::string& out, size_t indent) const {
    for (size_t i = 0; i < m_items.size(); ++i) {
        const Value& item = m_items[i];
        out.append(indent, ' ');
        out += m_kind == Kind::object ? m_keys[i] : "[" + std::to_string(i) + "]";
        if (item.is_scalar()) {
            out += ": " + item.scalar_text() + "\n";
        } else if (item.m_items.empty()) {
            out += item.m_kind == Kind::object ? ": {}\n" : ": []\n";
        } else {
            out += ":\n";
            item.write_text_members(out, indent + 2);
        }
    }
}

std::string Value::to_text() const {
    if (is_scalar()) return scalar_text() + "\n";
    std::string out;
    write_text_members(out, 0);
    return out;
}

}  // namespace gssneg::inspect
