/**
 * What a contender's process costs, measured from inside it without slowing it down much: CPU time
 * (`process.cpuUsage`), peak RSS (`process.resourceUsage().maxRSS`, the kernel's high-water mark over the process's
 * life), open sockets (sampled from `/proc/self/fd`), and bytes allocated on the V8 heap.
 *
 * Allocation is measured with `v8.GCProfiler`, which records the heap statistics V8 takes before and after every
 * collection anyway: between two collections the used heap only grows by allocation, so the bytes allocated over a
 * window are the growth from its start to the first collection, plus each later collection's "before" minus the
 * previous one's "after", plus the growth from the last collection to the end. No `--trace-gc`, no heap snapshot, no
 * sampling; it counts every object (young and old space, large objects) and nothing off the V8 heap (Buffers' and
 * sockets' native memory are not in it, they are in RSS).
 */
import { readdirSync, readlinkSync } from "node:fs"
import { GCProfiler, getHeapStatistics } from "node:v8"

const SOCKET_SAMPLE_MS = 500

/** Open sockets of this process right now (Linux: `/proc/self/fd` links to `socket:[inode]`). */
export const openSockets = (): number => {
  let n = 0
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++
    } catch {
      // The descriptor closed between the listing and the read: not open any more.
    }
  }
  return n
}

export interface WindowStats {
  /** CPU (user + system) this process spent in the window, µs. */
  readonly cpuUs: number
  /** V8 heap bytes allocated in the window. */
  readonly allocatedBytes: number
  /** Collections in the window, and the time V8 says they took (µs, main-thread pauses). */
  readonly collections: number
  readonly gcUs: number
  /** The same by kind of collection (`Scavenge`, `MarkSweepCompact`, …): count and µs. */
  readonly gcByType: Readonly<Record<string, { readonly count: number; readonly us: number }>>
  /** The process's peak RSS so far (its whole life, not only the window), bytes. */
  readonly maxRssBytes: number
  /** Most sockets open at once, sampled every half second and at the window's ends. */
  readonly peakSockets: number
}

/** Starts measuring; the returned function ends the window and says what it cost. */
export const measureWindow = (): () => WindowStats => {
  const profiler = new GCProfiler()
  let peakSockets = openSockets()
  const sampler = setInterval(() => (peakSockets = Math.max(peakSockets, openSockets())), SOCKET_SAMPLE_MS)
  sampler.unref()
  const cpu = process.cpuUsage()
  const heapAtStart = getHeapStatistics().used_heap_size
  profiler.start()
  return () => {
    const heapAtEnd = getHeapStatistics().used_heap_size
    const { statistics } = profiler.stop()
    const used = process.cpuUsage(cpu)
    clearInterval(sampler)
    let allocated = 0
    let gcUs = 0
    let previous = heapAtStart
    const gcByType: Record<string, { count: number; us: number }> = {}
    for (const gc of statistics) {
      gcUs += gc.cost
      const kind = (gcByType[gc.gcType] ??= { count: 0, us: 0 })
      kind.count++
      kind.us += gc.cost
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - previous
      previous = gc.afterGC.heapStatistics.usedHeapSize
    }
    allocated += heapAtEnd - previous
    return {
      cpuUs: used.user + used.system,
      allocatedBytes: allocated,
      collections: statistics.length,
      gcUs,
      gcByType,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      peakSockets: Math.max(peakSockets, openSockets())
    }
  }
}
