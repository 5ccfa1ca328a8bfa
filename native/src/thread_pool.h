// A small fixed thread pool for the kernels' parallel loops. The calling
// thread takes part as worker 0, so a pool of N threads starts N-1 of its own.
// One parallel loop runs at a time (callers from several threads, e.g. the
// main thread and libuv workers running async kernels, queue on a mutex);
// a parallel loop started from inside a pool task runs inline, serially.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace alexnet {

class ThreadPool {
 public:
  // body(begin, end, worker): a contiguous range of indices and the worker id in [0, threads()).
  using RangeBody = std::function<void(int64_t begin, int64_t end, int worker)>;

  static ThreadPool& global();

  int threads() const { return threadCount_; }
  // Restarts the pool with n threads (n >= 1). Not to be called while kernels run.
  void setThreads(int n);
  // How long idle threads spin before sleeping (clamped to [0, 1 s]); returns the value in effect.
  static int64_t setSpinMicros(int64_t us);
  static int64_t spinMicrosNow();

  // Splits [0, count) into at most threads() contiguous, nearly equal ranges and runs
  // each on its own worker. Good for equal-cost items where locality matters.
  void parallelForStatic(int64_t count, const RangeBody& body);
  // Hands out [0, count) in chunks of `grain` indices from a shared counter: good for
  // items of unequal cost.
  void parallelForDynamic(int64_t count, int64_t grain, const RangeBody& body);

  ~ThreadPool();

 private:
  ThreadPool();
  void start(int n);
  void stop();
  void workerLoop(int worker, uint64_t seen);
  void runJob(int worker);
  void run(int64_t count, int64_t grain, bool dynamic, const RangeBody& body);

  int threadCount_ = 1;
  std::vector<std::thread> workers_;

  std::mutex runMutex_;  // one parallel loop at a time

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> pending_{0};  // workers that have not finished the current job

  // The current job.
  const RangeBody* body_ = nullptr;
  int64_t count_ = 0;
  int64_t grain_ = 1;
  bool dynamic_ = false;
  std::atomic<int64_t> next_{0};
  // The first exception a task threw; rethrown on the calling thread.
  std::exception_ptr error_;
  std::mutex errorMutex_;
};

// Convenience wrappers over the global pool.
inline void parallelForStatic(int64_t count, const ThreadPool::RangeBody& body) {
  ThreadPool::global().parallelForStatic(count, body);
}
inline void parallelForDynamic(int64_t count, int64_t grain, const ThreadPool::RangeBody& body) {
  ThreadPool::global().parallelForDynamic(count, grain, body);
}
inline int poolThreads() { return ThreadPool::global().threads(); }

}  // namespace alexnet
