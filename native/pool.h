// A small thread pool for the addon's kernels: the calling (JS) thread and up to N-1 workers claim
// task indices from one counter. Workers spin briefly after a job (the next kernel of a training
// step usually follows within microseconds), then sleep on a condition variable so an idle
// process costs no CPU.
//
// The caller never waits for a worker to wake up: a job is open while the caller claims tasks,
// a worker joins only an open job, and once the caller has claimed the last task it closes the job
// and waits just for the workers inside it. (Waking a sleeping thread on a VM can take a
// millisecond, far longer than a small product.)
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace bp {

class Pool {
 public:
  using TaskFn = void (*)(void* ctx, int task, int thread);

  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  // Runs fn(ctx, t, thread) for t in [0, tasks) on up to `threads` threads (the caller is thread 0).
  void run(int tasks, int threads, TaskFn fn, void* ctx) {
    if (threads > tasks) threads = tasks;
    // one job at a time: a second JS thread (a worker_threads Worker) calling in meanwhile runs
    // its tasks on its own thread rather than share the workers
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (threads <= 1 || !busy.owns_lock()) {
      for (int t = 0; t < tasks; t++) fn(ctx, t, 0);
      return;
    }
    ensure(threads - 1);
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = fn;
      ctx_ = ctx;
      tasks_ = tasks;
      want_ = threads - 1;
      next_.store(0);
      active_.store(0);
      open_ = true;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    claim(0);
    {
      std::lock_guard<std::mutex> lk(mu_);
      open_ = false;  // every task is claimed: no worker joins from here on
    }
    // wait for the workers still running a task of this job
    auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    while (active_.load(std::memory_order_acquire) > 0) {
      if (std::chrono::steady_clock::now() > spinUntil) {
        std::unique_lock<std::mutex> lk(doneMu_);
        doneCv_.wait_for(lk, std::chrono::microseconds(100), [&] { return active_.load() == 0; });
      }
    }
  }

 private:
  void ensure(int n) {
    while ((int)workers_.size() < n) {
      int id = (int)workers_.size() + 1;
      workers_.emplace_back([this, id] { loop(id); });
    }
  }

  void claim(int thread) {
    for (;;) {
      int t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= tasks_) break;
      fn_(ctx_, t, thread);
    }
  }

  void loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      // spin a little for the next job, then sleep
      auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
      while (gen_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < spinUntil) {
        std::this_thread::yield();
      }
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return gen_.load() != seen; });
        seen = gen_.load();
        if (stop_) return;
        // join only a job still open, and only as one of the threads it asked for
        if (!open_ || id > want_) continue;
        active_.fetch_add(1);
      }
      claim(id);
      if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(doneMu_);
        doneCv_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_, doneMu_, busy_;
  std::condition_variable cv_, doneCv_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> next_{0}, active_{0};
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int tasks_ = 0, want_ = 0;
  bool open_ = false, stop_ = false;
};

// The one pool all kernels share (never destroyed: workers may still be parked at exit).
inline Pool& sharedPool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace bp
