// Promise-returning variants of the heavy kernels. The work runs on a libuv
// worker thread (which then drives the kernel thread pool), so the event loop
// stays free while a large convolution or linear layer computes. The typed
// arrays are referenced until the promise settles; the caller must not touch
// them (or transfer their buffers) before that.
#include <functional>
#include <stdexcept>
#include <vector>

#include "bind_common.h"

namespace alexnet {
namespace js {

namespace {

class AsyncJob {
 public:
  static napi_value queue(napi_env env, const char* name, const std::vector<napi_value>& keepAlive,
                          std::function<void()> work) {
    auto* job = new AsyncJob();
    job->name_ = name;
    job->work_ = std::move(work);
    napi_value promise;
    napi_status status = napi_create_promise(env, &job->deferred_, &promise);
    if (status != napi_ok) {
      delete job;
      check(env, status, "napi_create_promise");
    }
    for (napi_value v : keepAlive) {
      if (v == nullptr) continue;
      napi_ref ref;
      check(env, napi_create_reference(env, v, 1, &ref), "napi_create_reference");
      job->refs_.push_back(ref);
    }
    napi_value resourceName = stringValue(env, name);
    check(env, napi_create_async_work(env, nullptr, resourceName, execute, complete, job, &job->async_),
          "napi_create_async_work");
    check(env, napi_queue_async_work(env, job->async_), "napi_queue_async_work");
    return promise;
  }

 private:
  static void execute(napi_env, void* data) {
    auto* job = static_cast<AsyncJob*>(data);
    try {
      job->work_();
    } catch (const std::exception& e) {
      job->error_ = std::string("alexnet native ") + job->name_ + ": " + e.what();
      job->failed_ = true;
    }
  }

  static void complete(napi_env env, napi_status status, void* data) {
    auto* job = static_cast<AsyncJob*>(data);
    if (status != napi_ok && !job->failed_) {
      job->failed_ = true;
      job->error_ = std::string("alexnet native ") + job->name_ + ": the async work was cancelled";
    }
    if (job->failed_) {
      napi_value message, error;
      napi_create_string_utf8(env, job->error_.c_str(), NAPI_AUTO_LENGTH, &message);
      napi_create_error(env, nullptr, message, &error);
      napi_reject_deferred(env, job->deferred_, error);
    } else {
      napi_resolve_deferred(env, job->deferred_, undefinedValue(env));
    }
    for (napi_ref ref : job->refs_) napi_delete_reference(env, ref);
    napi_delete_async_work(env, job->async_);
    delete job;
  }

  const char* name_ = "";
  std::function<void()> work_;
  napi_deferred deferred_ = nullptr;
  napi_async_work async_ = nullptr;
  std::vector<napi_ref> refs_;
  bool failed_ = false;
  std::string error_;
};

// conv2dForwardAsync(geometry, x, w | packed, bias, out, fuseRelu, w?) → Promise<void>
// (w: the weight itself where argument 2 is a packed handle, as conv2dForwardPacked's).
napi_value conv2dForwardAsync(napi_env env, napi_callback_info info) {
  return guarded(env, "conv2dForwardAsync", [&] {
    Args args(env, info, "conv2dForwardAsync");
    ConvGeom g = readConvGeom(args, 0);
    auto x = args.f32(1, "x", g.inputSize());
    auto bias = args.f32OrNull(3, "bias", g.outChannels);
    auto out = args.f32(4, "out", g.outputSize());
    const bool relu = args.boolean(5, "fuseRelu");
    const KernelSet* ks = &currentKernels();
    if (isPackedHandle(args, 2)) {
      std::shared_ptr<const PackedConvWeight> packed = packedConvArg(args, 2, "packed");
      if (!packed->matches(g)) args.fail("the packed weight was made for another layer shape");
      auto source = args.f32OrNull(6, "w", g.weightSize());
      return AsyncJob::queue(env, "conv2dForwardAsync", {x.value, args[2], bias.value, out.value, source.value}, [=] {
        if (!conv2dForward(g, x.data, *packed, bias.data, out.data, relu, source.data))
          throw std::runtime_error(kNeedsSource);
      });
    }
    auto w = args.f32(2, "w", g.weightSize());
    return AsyncJob::queue(env, "conv2dForwardAsync", {x.value, w.value, bias.value, out.value},
                           [=] { conv2dForward(*ks, g, x.data, w.data, bias.data, out.data, relu); });
  });
}

// linearForwardAsync(batch, inFeatures, outFeatures, x, w, bias, out, fuseRelu, w?) → Promise<void>
// (w: the weight itself where argument 4 is an fp32 packed handle).
napi_value linearForwardAsync(napi_env env, napi_callback_info info) {
  return guarded(env, "linearForwardAsync", [&] {
    const LinearArgs a = readLinearArgs(Args(env, info, "linearForwardAsync"));
    const KernelSet* ks = &currentKernels();
    return AsyncJob::queue(env, "linearForwardAsync",
                           {a.x.value, a.weightValue, a.bias.value, a.out.value, a.fp32Value},
                           [=] { runLinear(*ks, a); });
  });
}

// maxPool2dForwardAsync(geometry, x, out) → Promise<void>: inference (no argmax). A server's event loop would
// otherwise stop for each pooling layer (about 4 ms at batch 32 for the first one).
napi_value maxPool2dForwardAsync(napi_env env, napi_callback_info info) {
  return guarded(env, "maxPool2dForwardAsync", [&] {
    const PoolForwardArgs a = readPoolForwardArgs(Args(env, info, "maxPool2dForwardAsync"));
    return AsyncJob::queue(env, "maxPool2dForwardAsync", {a.x.value, a.out.value},
                           [=] { maxPool2dForward(a.g, a.x.data, a.out.data, nullptr); });
  });
}

}  // namespace

void registerAsync(napi_env env, napi_value exports) {
  static const Export functions[] = {{"conv2dForwardAsync", conv2dForwardAsync},
                                     {"linearForwardAsync", linearForwardAsync},
                                     {"maxPool2dForwardAsync", maxPool2dForwardAsync}};
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
