// A thin C++ layer over Node's C N-API (node_api.h): argument readers that
// validate types and sizes and throw ArgumentError, which the function
// wrapper turns into a JS Error naming the function and the argument.
#pragma once

#include <node_api.h>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace alexnet {
namespace js {

// Bad input from JavaScript; becomes a thrown Error (TypeError/RangeError in spirit).
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws a JS error if an N-API call failed (should not happen with valid handles).
void check(napi_env env, napi_status status, const char* what);

template <typename T>
struct ArrayView {
  T* data = nullptr;
  int64_t length = 0;
  napi_value value = nullptr;  // the typed array itself, e.g. to keep it alive
};

class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* function);

  napi_env env() const { return env_; }
  size_t count() const { return argc_; }
  napi_value operator[](size_t i) const { return i < argc_ ? argv_[i] : undefined_; }
  const char* function() const { return function_; }

  // A Float32Array with exactly `expected` elements (any length when expected < 0).
  ArrayView<float> f32(size_t i, const char* name, int64_t expected = -1) const;
  // The same, or a null view for null/undefined.
  ArrayView<float> f32OrNull(size_t i, const char* name, int64_t expected = -1) const;
  ArrayView<int32_t> i32(size_t i, const char* name, int64_t expected = -1) const;
  ArrayView<uint8_t> u8(size_t i, const char* name, int64_t expected = -1) const;
  double number(size_t i, const char* name) const;
  // A whole number in [min, 2^53].
  int64_t integer(size_t i, const char* name, int64_t min = 0) const;
  // The element count of an array argument `name` from its sizes: fails, naming it, when the sizes multiply to
  // more elements than any array holds (checked_size.h), rather than letting the product wrap around.
  int64_t elements(const char* name, std::initializer_list<int64_t> sizes) const;
  bool boolean(size_t i, const char* name) const;
  napi_value object(size_t i, const char* name) const;
  bool isNullish(size_t i) const;
  std::string string(size_t i, const char* name) const;
  // The pointer inside an External created by this addon with the given tag.
  void* external(size_t i, const char* name, const napi_type_tag& tag) const;

  // Properties of an object argument.
  int64_t intProperty(napi_value object, const char* objectName, const char* key, int64_t min = 0) const;
  double numberProperty(napi_value object, const char* objectName, const char* key) const;
  bool boolProperty(napi_value object, const char* objectName, const char* key) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  napi_env env_;
  const char* function_;
  size_t argc_ = 0;
  napi_value argv_[16];
  napi_value undefined_ = nullptr;
};

// Wraps a C++ callback body: converts ArgumentError and other exceptions into JS errors.
template <typename Body>
napi_value guarded(napi_env env, const char* function, Body&& body) {
  try {
    return body();
  } catch (const ArgumentError& e) {
    napi_throw_type_error(env, nullptr, e.what());
  } catch (const std::bad_alloc&) {
    std::string message = std::string("alexnet native ") + function + ": out of memory";
    napi_throw_range_error(env, nullptr, message.c_str());
  } catch (const std::exception& e) {
    std::string message = std::string("alexnet native ") + function + ": " + e.what();
    napi_throw_error(env, nullptr, message.c_str());
  }
  return nullptr;
}

napi_value undefinedValue(napi_env env);
napi_value numberValue(napi_env env, double value);
napi_value stringValue(napi_env env, const std::string& value);
napi_value boolValue(napi_env env, bool value);

// A native function registered on the exports object.
struct Export {
  const char* name;
  napi_callback callback;
};

}  // namespace js
}  // namespace alexnet
