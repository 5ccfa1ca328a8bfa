#include "settings.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <mutex>

namespace alexnet {

namespace {

std::mutex& problemsLock() {
  static std::mutex lock;
  return lock;
}

std::vector<std::string>& problems() {
  static std::vector<std::string> list;
  return list;
}

}  // namespace

const char* settingValue(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;  // set but empty counts as unset
}

int64_t integerSetting(const char* name, int64_t lo, int64_t hi, int64_t fallback) {
  const char* value = settingValue(name);
  if (value == nullptr) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long parsed = std::strtoll(value, &end, 10);
  if (errno == 0 && end != value && *end == '\0' && parsed >= lo && parsed <= hi) return parsed;
  const std::string expected = hi == lo + 1 ? std::to_string(lo) + " or " + std::to_string(hi)
                                            : "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
  recordBadSetting(name, value, expected.c_str());
  return fallback;
}

void recordBadSetting(const char* name, const char* value, const char* expected) {
  std::lock_guard<std::mutex> guard(problemsLock());
  problems().push_back(std::string(name) + "='" + value + "' is not " + expected);
}

std::vector<std::string> settingProblems() {
  std::lock_guard<std::mutex> guard(problemsLock());
  std::vector<std::string> sorted = problems();  // by name: the order the settings were read in varies
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace alexnet
