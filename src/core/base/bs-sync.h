/* bs-sync.h: locking that ThreadSanitizer can check.
 *
 * GLib's GMutex and GCond are futexes driven by atomics inside libglib,
 * which is not instrumented: ThreadSanitizer sees neither the lock nor the
 * unlock, so every access a GMutex protects looks like a race to it (and a
 * real race next to a lock would be lost in those reports). Code of this
 * project locks through these wrappers instead. Under ThreadSanitizer they
 * tell it what the lock does for memory: unlocking releases, locking
 * acquires, on the mutex's address (exactly the happens-before edges a mutex
 * gives, no more), and a condition wait unlocks and locks again. Elsewhere
 * they are the GLib calls and nothing else.
 *
 * Synchronisation inside GLib that our code relies on (GTask's thread pool,
 * idles on a main context, GCancellable) stays invisible to it; hand data
 * across those with atomics or through one of these locks. */
#pragma once

#include <glib.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define BS_TSAN_ACQUIRE(addr) __tsan_acquire ((void *) (addr))
#define BS_TSAN_RELEASE(addr) __tsan_release ((void *) (addr))
#else
#define BS_TSAN_ACQUIRE(addr) do { } while (0)
#define BS_TSAN_RELEASE(addr) do { } while (0)
#endif

static inline void
bs_mutex_lock (GMutex *mutex)
{
  g_mutex_lock (mutex);
  BS_TSAN_ACQUIRE (mutex);
}

static inline void
bs_mutex_unlock (GMutex *mutex)
{
  BS_TSAN_RELEASE (mutex);
  g_mutex_unlock (mutex);
}

static inline void
bs_cond_wait (GCond  *cond,
              GMutex *mutex)
{
  BS_TSAN_RELEASE (mutex);
  g_cond_wait (cond, mutex);
  BS_TSAN_ACQUIRE (mutex);
}

static inline gboolean
bs_cond_wait_until (GCond  *cond,
                    GMutex *mutex,
                    gint64  end_time)
{
  gboolean signalled;

  BS_TSAN_RELEASE (mutex);
  signalled = g_cond_wait_until (cond, mutex, end_time);
  BS_TSAN_ACQUIRE (mutex);
  return signalled;
}
