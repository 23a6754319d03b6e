// The one exception boundary of the module. Every extern "C" entry point
// returns guard(minor_status, [&] { ... }); the lambda returns the major
// status and may throw. This is the only catch in the project.
#pragma once

#include "mech/gssapi_exports.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "util/trace.h"

#include <string>
#include <span>
#include <string_view>

namespace gssneg::mech {

// Remembers the detail text of the last error with this minor code on this
// thread, so gss_display_status can say which user or field was at fault;
// peer strings in it are escaped (util/escape.h). Never allocates.
void remember_detail(OM_uint32 minor, std::string_view what) noexcept;
std::string recall_detail(OM_uint32 minor);
// What a catch block of the guard does with a failure: remembers its text
// and traces it. Never throws (a bad_alloc while tracing is dropped).
void note_failure(OM_uint32 minor, const char* what) noexcept;

template <typename F>
OM_uint32 guard(OM_uint32* minor_status, F&& body) noexcept {
    OM_uint32 scratch = 0;
    OM_uint32* minor = minor_status != nullptr ? minor_status : &scratch;
    *minor = 0;
    try {
        return body();
    } catch (const GssError& e) {
        *minor = e.minor();
        note_failure(e.minor(), e.what());
        return e.major();
    } catch (const std::bad_alloc&) {
        *minor = minor_value(Minor::out_of_memory);
        return GSS_S_FAILURE;
    } catch (const std::exception& e) {
        *minor = minor_value(Minor::internal_error);
        note_failure(*minor, e.what());
        return GSS_S_FAILURE;
    } catch (...) {
        *minor = minor_value(Minor::internal_error);
        return GSS_S_FAILURE;
    }
}

// A malloc'ed buffer that is wiped and freed unless release()d: output
// buffers under construction, so that a throw cannot leak or leave plaintext.
class MallocBuffer final {
public:
    explicit MallocBuffer(size_t size);
    ~MallocBuffer();
    MallocBuffer(const MallocBuffer&) = delete;
    MallocBuffer& operator=(const MallocBuffer&) = delete;
    uint8_t* data() noexcept { return m_p; }
    size_t size() const noexcept { return m_size; }
    uint8_t* release() noexcept {
        uint8_t* p = m_p;
        m_p = nullptr;
        return p;
    }

private:
    uint8_t* m_p;
    size_t m_size;
};

// Output buffers are released by the mechglue with free(): malloc them.
void set_buffer(gss_buffer_t out, ByteView data);
void set_buffer(gss_buffer_t out, std::string_view text);
void clear_buffer(gss_buffer_t out) noexcept;
ByteView view_of(const gss_buffer_t buf) noexcept;
// A buffer descriptor over data, for input parameters (never released).
gss_buffer_desc buffer_of(ByteView data) noexcept;
std::string_view text_of(const gss_buffer_t buf) noexcept;

// OID helpers; sets are malloc'ed as the mechglue frees them with free().
bool oid_equal(gss_const_OID a, gss_const_OID b) noexcept;
gss_OID_set make_oid_set(std::initializer_list<gss_const_OID> oids);
gss_buffer_set_t make_buffer_set(std::initializer_list<ByteView> items);
gss_buffer_set_t make_buffer_set(std::span<const ByteView> items);

}  // namespace gssneg::mech
