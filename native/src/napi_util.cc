#include "napi_util.h"
#include "checked_size.h"

#include <cmath>
#include <sstream>

namespace alexnet {
namespace js {

void check(napi_env env, napi_status status, const char* what) {
  if (status == napi_ok) return;
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  std::string message = std::string(what) + " failed";
  if (info != nullptr && info->error_message != nullptr) message += std::string(": ") + info->error_message;
  throw std::runtime_error(message);
}

Args::Args(napi_env env, napi_callback_info info, const char* function) : env_(env), function_(function) {
  argc_ = sizeof(argv_) / sizeof(argv_[0]);
  check(env, napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr), "napi_get_cb_info");
  if (argc_ > sizeof(argv_) / sizeof(argv_[0])) argc_ = sizeof(argv_) / sizeof(argv_[0]);
  check(env, napi_get_undefined(env, &undefined_), "napi_get_undefined");
}

void Args::fail(const std::string& message) const {
  throw ArgumentError(std::string("alexnet native ") + function_ + ": " + message);
}

namespace {

const char* typedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array:
      return "Float32Array";
    case napi_int32_array:
      return "Int32Array";
    case napi_float64_array:
      return "Float64Array";
    case napi_uint8_array:
      return "Uint8Array";
    default:
      return "another typed array";
  }
}

template <typename T>
ArrayView<T> typedArray(const Args& args, size_t i, const char* name, int64_t expected, napi_typedarray_type want) {
  napi_value value = args[i];
  bool isTyped = false;
  check(args.env(), napi_is_typedarray(args.env(), value, &isTyped), "napi_is_typedarray");
  if (!isTyped) args.fail(std::string(name) + " must be a " + typedArrayName(want));
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  check(args.env(), napi_get_typedarray_info(args.env(), value, &type, &length, &data, &buffer, &offset),
        "napi_get_typedarray_info");
  if (type != want)
    args.fail(std::string(name) + " must be a " + typedArrayName(want) + ", got " + typedArrayName(type));
  if (expected >= 0 && static_cast<int64_t>(length) != expected) {
    std::ostringstream m;
    m << name << " has " << length << " elements, expected " << expected;
    args.fail(m.str());
  }
  ArrayView<T> view;
  view.data = static_cast<T*>(data);
  view.length = static_cast<int64_t>(length);
  view.value = value;
  return view;
}

}  // namespace

ArrayView<float> Args::f32(size_t i, const char* name, int64_t expected) const {
  return typedArray<float>(*this, i, name, expected, napi_float32_array);
}

ArrayView<float> Args::f32OrNull(size_t i, const char* name, int64_t expected) const {
  if (isNullish(i)) return ArrayView<float>();
  return f32(i, name, expected);
}

ArrayView<int32_t> Args::i32(size_t i, const char* name, int64_t expected) const {
  return typedArray<int32_t>(*this, i, name, expected, napi_int32_array);
}

ArrayView<uint8_t> Args::u8(size_t i, const char* name, int64_t expected) const {
  return typedArray<uint8_t>(*this, i, name, expected, napi_uint8_array);
}

bool Args::isNullish(size_t i) const {
  napi_valuetype type;
  check(env_, napi_typeof(env_, (*this)[i], &type), "napi_typeof");
  return type == napi_null || type == napi_undefined;
}

double Args::number(size_t i, const char* name) const {
  napi_valuetype type;
  check(env_, napi_typeof(env_, (*this)[i], &type), "napi_typeof");
  if (type != napi_number) fail(std::string(name) + " must be a number");
  double value;
  check(env_, napi_get_value_double(env_, (*this)[i], &value), "napi_get_value_double");
  return value;
}

int64_t Args::integer(size_t i, const char* name, int64_t min) const {
  double value = number(i, name);
  if (!(value == std::floor(value)) || value < static_cast<double>(min) || value > 9007199254740992.0) {
    std::ostringstream m;
    m << name << " must be a whole number from " << min << " to 2^53, got " << value;
    fail(m.str());
  }
  return static_cast<int64_t>(value);
}

int64_t Args::elements(const char* name, std::initializer_list<int64_t> sizes) const {
  const int64_t count = checkedProduct(sizes);
  if (count < 0) fail(std::string(name) + ": the sizes given for it multiply to more than 2^53 elements");
  return count;
}

bool Args::boolean(size_t i, const char* name) const {
  napi_valuetype type;
  check(env_, napi_typeof(env_, (*this)[i], &type), "napi_typeof");
  if (type != napi_boolean) fail(std::string(name) + " must be a boolean");
  bool value;
  check(env_, napi_get_value_bool(env_, (*this)[i], &value), "napi_get_value_bool");
  return value;
}

napi_value Args::object(size_t i, const char* name) const {
  napi_valuetype type;
  check(env_, napi_typeof(env_, (*this)[i], &type), "napi_typeof");
  if (type != napi_object) fail(std::string(name) + " must be an object");
  return (*this)[i];
}

std::string Args::string(size_t i, const char* name) const {
  napi_valuetype type;
  check(env_, napi_typeof(env_, (*this)[i], &type), "napi_typeof");
  if (type != napi_string) fail(std::string(name) + " must be a string");
  size_t length = 0;
  check(env_, napi_get_value_string_utf8(env_, (*this)[i], nullptr, 0, &length), "napi_get_value_string_utf8");
  std::string value(length, '\0');
  check(env_, napi_get_value_string_utf8(env_, (*this)[i], &value[0], length + 1, &length),
        "napi_get_value_string_utf8");
  return value;
}

void* Args::external(size_t i, const char* name, const napi_type_tag& tag) const {
  napi_valuetype type;
  check(env_, napi_typeof(env_, (*this)[i], &type), "napi_typeof");
  bool tagged = false;
  if (type == napi_external) check(env_, napi_check_object_type_tag(env_, (*this)[i], &tag, &tagged), "type tag");
  if (!tagged) fail(std::string(name) + " must be a handle made by this addon");
  void* data = nullptr;
  check(env_, napi_get_value_external(env_, (*this)[i], &data), "napi_get_value_external");
  return data;
}

namespace {

napi_value property(const Args& args, napi_value object, const char* key) {
  napi_value value;
  check(args.env(), napi_get_named_property(args.env(), object, key, &value), "napi_get_named_property");
  return value;
}

}  // namespace

double Args::numberProperty(napi_value object, const char* objectName, const char* key) const {
  napi_value value = property(*this, object, key);
  napi_valuetype type;
  check(env_, napi_typeof(env_, value, &type), "napi_typeof");
  if (type != napi_number) fail(std::string(objectName) + "." + key + " must be a number");
  double result;
  check(env_, napi_get_value_double(env_, value, &result), "napi_get_value_double");
  return result;
}

int64_t Args::intProperty(napi_value object, const char* objectName, const char* key, int64_t min) const {
  double value = numberProperty(object, objectName, key);
  if (!(value == std::floor(value)) || value < static_cast<double>(min) || value > 9007199254740992.0) {
    std::ostringstream m;
    m << objectName << "." << key << " must be a whole number from " << min << " to 2^53, got " << value;
    fail(m.str());
  }
  return static_cast<int64_t>(value);
}

bool Args::boolProperty(napi_value object, const char* objectName, const char* key) const {
  napi_value value = property(*this, object, key);
  napi_valuetype type;
  check(env_, napi_typeof(env_, value, &type), "napi_typeof");
  if (type != napi_boolean) fail(std::string(objectName) + "." + key + " must be a boolean");
  bool result;
  check(env_, napi_get_value_bool(env_, value, &result), "napi_get_value_bool");
  return result;
}

napi_value undefinedValue(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value numberValue(napi_env env, double value) {
  napi_value v;
  check(env, napi_create_double(env, value, &v), "napi_create_double");
  return v;
}

napi_value stringValue(napi_env env, const std::string& value) {
  napi_value v;
  check(env, napi_create_string_utf8(env, value.data(), value.size(), &v), "napi_create_string_utf8");
  return v;
}

napi_value boolValue(napi_env env, bool value) {
  napi_value v;
  check(env, napi_get_boolean(env, value, &v), "napi_get_boolean");
  return v;
}

}  // namespace js
}  // namespace alexnet
