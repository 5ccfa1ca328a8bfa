// Module entry point of alexnet_native.node: registers every binding.
#include "bind_common.h"

namespace {

napi_value init(napi_env env, napi_value exports) {
  using namespace alexnet::js;
  return guarded(env, "init", [&] {
    registerInfo(env, exports);
    registerMatmul(env, exports);
    registerConv(env, exports);
    registerOps(env, exports);
    registerImage(env, exports);
    registerAsync(env, exports);
    return exports;
  });
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
