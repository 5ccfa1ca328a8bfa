#include "thread_pool.h"
#include "arch.h"
#include "settings.h"

#include <atomic>
#include <chrono>
#include <cstdlib>

namespace alexnet {

namespace {

// Set while a thread runs a pool task: nested loops then run inline.
thread_local bool insideTask = false;
// How long an idle worker, and a caller waiting for the workers, spin before
// sleeping, in microseconds. ALEXNET_SPIN_US sets it at load, setSpinMicros()
// later (0: sleep at once, for a process whose other threads need the cores,
// like a server decoding images, or machines shared with busy processes).
constexpr int64_t kMaxSpinMicros = 1000000;
int64_t clampSpin(int64_t us) { return us < 0 ? 0 : us > kMaxSpinMicros ? kMaxSpinMicros : us; }
std::atomic<int64_t> spinMicros{[] { return integerSetting("ALEXNET_SPIN_US", 0, kMaxSpinMicros, 1000); }()};
std::chrono::steady_clock::time_point spinDeadline() {
  return std::chrono::steady_clock::now() + std::chrono::microseconds(spinMicros.load(std::memory_order_relaxed));
}
thread_local int currentWorker = 0;

int threadsFromEnvironment() {
  const int64_t n = integerSetting("ALEXNET_NUM_THREADS", 1, 256, 0);
  if (n >= 1) return static_cast<int>(n);
  unsigned hw = std::thread::hardware_concurrency();
#if defined(__EMSCRIPTEN__)
  // The threaded wasm build starts at most 16 web workers when it loads
  // (scripts/build-wasm.mjs, PTHREAD_POOL_SIZE): a thread beyond those would
  // wait for the browser's event loop, which the waiting kernel never returns to.
  if (hw > 16) hw = 16;
#endif
  return hw == 0 ? 1 : static_cast<int>(hw);
}

}  // namespace

ThreadPool& ThreadPool::global() {
  // Never destroyed: worker threads must not be joined during static
  // destruction at process exit, when Node may already be tearing down.
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

ThreadPool::ThreadPool() { start(threadsFromEnvironment()); }

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::start(int n) {
  threadCount_ = n < 1 ? 1 : n;
  stopping_ = false;
  // Workers start from the current generation: a restarted pool must not
  // mistake the last job of its previous workers for a new one.
  for (int w = 1; w < threadCount_; ++w)
    workers_.emplace_back([this, w, seen = generation_.load()] { workerLoop(w, seen); });
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

int64_t ThreadPool::setSpinMicros(int64_t us) {
  spinMicros.store(clampSpin(us), std::memory_order_relaxed);
  return spinMicros.load(std::memory_order_relaxed);
}

int64_t ThreadPool::spinMicrosNow() { return spinMicros.load(std::memory_order_relaxed); }

void ThreadPool::setThreads(int n) {
  std::lock_guard<std::mutex> runLock(runMutex_);
  stop();
  start(n);
}

void ThreadPool::workerLoop(int worker, uint64_t seen) {
  for (;;) {
    // Spin before sleeping: kernels come in quick succession (one per layer,
    // with some JavaScript between them), and waking a sleeping thread costs
    // far more than the spin, most of all in a VM, where a sleeping vCPU halts
    // and must be woken by an interrupt through the hypervisor.
    auto spinUntil = spinDeadline();
    while (generation_.load(std::memory_order_acquire) == seen && !stopping_.load(std::memory_order_relaxed) &&
           std::chrono::steady_clock::now() < spinUntil) {
#if ALEXNET_X86
      __builtin_ia32_pause();
#endif
    }
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_.load();
    lock.unlock();

    runJob(worker);

    // The caller spins on pending_ first and sleeps on done_ only after the spin;
    // notifying under the mutex means it cannot miss the wake-up between its
    // check and its wait.
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> doneLock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::runJob(int worker) {
  insideTask = true;
  currentWorker = worker;
  const int64_t count = count_;
  try {
    if (dynamic_) {
      for (;;) {
        int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
        if (begin >= count) break;
        int64_t end = begin + grain_ < count ? begin + grain_ : count;
        (*body_)(begin, end, worker);
      }
    } else {
      const int64_t parts = threadCount_ < count ? threadCount_ : count;
      if (worker < parts) {
        int64_t begin = count * worker / parts;
        int64_t end = count * (worker + 1) / parts;
        (*body_)(begin, end, worker);
      }
    }
  } catch (...) {
    // Stop handing out work and keep the first error for the caller.
    next_.store(count, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(errorMutex_);
    if (!error_) error_ = std::current_exception();
  }
  insideTask = false;
}

void ThreadPool::run(int64_t count, int64_t grain, bool dynamic, const RangeBody& body) {
  if (count <= 0) return;
  if (insideTask) {
    body(0, count, currentWorker);
    return;
  }
  if (threadCount_ == 1 || (!dynamic && count == 1) || (dynamic && count <= grain)) {
    std::lock_guard<std::mutex> runLock(runMutex_);
    struct Inside {
      Inside() { insideTask = true; }
      ~Inside() { insideTask = false; }
    } inside;
    body(0, count, 0);
    return;
  }
  std::lock_guard<std::mutex> runLock(runMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    count_ = count;
    grain_ = grain < 1 ? 1 : grain;
    dynamic_ = dynamic;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    pending_.store(threadCount_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runJob(0);
  // The other workers usually finish within microseconds of this one: spin
  // for them rather than sleep (see workerLoop).
  const auto spinUntil = spinDeadline();
  while (pending_.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() < spinUntil) {
#if ALEXNET_X86
    __builtin_ia32_pause();
#endif
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  body_ = nullptr;
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
}

void ThreadPool::parallelForStatic(int64_t count, const RangeBody& body) { run(count, 1, false, body); }

void ThreadPool::parallelForDynamic(int64_t count, int64_t grain, const RangeBody& body) {
  run(count, grain, true, body);
}

}  // namespace alexnet
