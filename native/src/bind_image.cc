// Bindings of the image kernels: Pillow-exact bilinear resampling, into 8-bit
// pixels or straight into a model's normalized input planes.
#include <algorithm>
#include <string>
#include <vector>

#include "bind_common.h"
#include "resample.h"

namespace alexnet {
namespace js {

namespace {

// The taps of one axis from three typed arrays, every read checked against the source size.
ResampleTaps readTaps(const Args& args, size_t at, const char* axis, int64_t stride, int64_t sourceSize) {
  const std::string name(axis), weightsName = name + "Weights";
  auto first = args.i32(at, (name + "First").c_str());
  auto count = args.i32(at + 1, (name + "Count").c_str(), first.length);
  auto weights = args.i32(at + 2, weightsName.c_str(), args.elements(weightsName.c_str(), {first.length, stride}));
  const ResampleTaps taps{first.data, count.data, weights.data, stride, first.length};
  const std::string problem = checkTaps(taps, sourceSize, axis);
  if (!problem.empty()) args.fail(problem);
  return taps;
}

// The first twelve arguments both resampling bindings share: the image
// (src, width, height, channels) and each axis' taps, all checked.
struct ResampleSource {
  const uint8_t* src;
  int64_t width, height, channels;
  ResampleTaps cols, rows;
};

ResampleSource readSource(const Args& args) {
  const int64_t width = args.integer(1, "width", 1);
  const int64_t height = args.integer(2, "height", 1);
  const int64_t channels = args.integer(3, "channels", 1);
  if (channels > 4) args.fail("channels must be 1 to 4");
  auto src = args.u8(0, "src", args.elements("src", {width, height, channels}));
  const ResampleTaps cols = readTaps(args, 4, "col", args.integer(7, "colStride", 1), width);
  const ResampleTaps rows = readTaps(args, 8, "row", args.integer(11, "rowStride", 1), height);
  return {src.data, width, height, channels, cols, rows};
}

// resampleBilinear(src, width, height, channels, colFirst, colCount, colWeights, colStride,
//                  rowFirst, rowCount, rowWeights, rowStride, out)
napi_value resampleBilinearBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "resampleBilinear", [&] {
    Args args(env, info, "resampleBilinear");
    const ResampleSource s = readSource(args);
    auto out = args.u8(12, "out", args.elements("out", {s.rows.outputs, s.cols.outputs, s.channels}));
    resampleBilinearImage(s.src, s.width, s.height, s.channels, s.cols, s.rows, out.data);
    return undefinedValue(env);
  });
}

// resampleBilinearToPlanes(src, width, height, channels, colFirst, colCount, colWeights, colStride,
//                          rowFirst, rowCount, rowWeights, rowStride, table, out): table holds 256
// values per plane written, the first `planes` ≤ channels.
napi_value resampleBilinearToPlanesBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "resampleBilinearToPlanes", [&] {
    Args args(env, info, "resampleBilinearToPlanes");
    const ResampleSource s = readSource(args);
    auto table = args.f32(12, "table");
    const int64_t planes = table.length / 256;
    if (table.length % 256 != 0 || planes < 1 || planes > s.channels)
      args.fail("table must hold 256 values per plane, 1 to channels (" + std::to_string(s.channels) +
                ") planes; got " + std::to_string(table.length) + " values");
    auto out = args.f32(13, "out", args.elements("out", {planes, s.rows.outputs, s.cols.outputs}));
    resampleBilinearToPlanes(s.src, s.width, s.height, s.channels, s.cols, s.rows, table.data, planes, out.data);
    return undefinedValue(env);
  });
}

}  // namespace

void registerImage(napi_env env, napi_value exports) {
  static const Export functions[] = {{"resampleBilinear", resampleBilinearBinding},
                                     {"resampleBilinearToPlanes", resampleBilinearToPlanesBinding}};
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
