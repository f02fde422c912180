/**
 * A binary min-heap of `(at, seq)` keyed nodes with lazy deletion: a node is never removed from the middle, its owner
 * just stops recognising it (its `seq` no longer matches), and stale nodes are dropped when they surface at the top or
 * when the heap is rebuilt. This keeps every update O(log n) and avoids a position map.
 *
 * @internal
 */

/** @internal */
export interface Node {
  /** The key: a run time, a lease expiry, a next attempt time (epoch ms). */
  readonly at: number
  /** Tie-breaker (insertion order) and validity stamp. */
  readonly seq: number
  readonly id: string
}

const less = (a: Node, b: Node): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** @internal */
export class MinHeap {
  private nodes: Array<Node> = []

  get size(): number {
    return this.nodes.length
  }

  push(node: Node): void {
    const nodes = this.nodes
    let i = nodes.length
    nodes.push(node)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!less(node, nodes[parent])) break
      nodes[i] = nodes[parent]
      i = parent
    }
    nodes[i] = node
  }

  peek(): Node | undefined {
    return this.nodes[0]
  }

  pop(): Node | undefined {
    const nodes = this.nodes
    const top = nodes[0]
    const last = nodes.pop()
    if (top !== undefined && last !== undefined && nodes.length > 0) {
      this.siftDown(0, last)
    }
    return top
  }

  /** Drops stale nodes from the top, so that `peek` returns a live node (or nothing). */
  prune(isLive: (node: Node) => boolean): Node | undefined {
    let top = this.nodes[0]
    while (top !== undefined && !isLive(top)) {
      this.pop()
      top = this.nodes[0]
    }
    return top
  }

  /**
   * Visits the live nodes keyed below `below` in ascending order, without removing them, while `visit` returns true.
   * Costs O(k log k) for the k nodes looked at, however large the heap.
   */
  ascending(below: number, isLive: (node: Node) => boolean, visit: (node: Node) => boolean): void {
    const nodes = this.nodes
    if (nodes.length === 0 || nodes[0].at >= below) return
    // The frontier holds positions in this heap (as ids), keyed like the nodes they point at.
    const frontier = new MinHeap()
    frontier.push({ at: nodes[0].at, seq: nodes[0].seq, id: "0" })
    for (let next = frontier.pop(); next !== undefined; next = frontier.pop()) {
      const i = Number(next.id)
      const node = nodes[i]
      if (isLive(node) && !visit(node)) return
      for (let child = 2 * i + 1; child <= 2 * i + 2 && child < nodes.length; child++) {
        if (nodes[child].at < below) {
          frontier.push({ at: nodes[child].at, seq: nodes[child].seq, id: String(child) })
        }
      }
    }
  }

  /** Rebuilds the heap from its live nodes, in O(n). */
  compact(isLive: (node: Node) => boolean): void {
    this.nodes = this.nodes.filter(isLive)
    for (let i = (this.nodes.length >> 1) - 1; i >= 0; i--) {
      this.siftDown(i, this.nodes[i])
    }
  }

  private siftDown(start: number, node: Node): void {
    const nodes = this.nodes
    const n = nodes.length
    let i = start
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      const child = right < n && less(nodes[right], nodes[left]) ? right : left
      if (!less(nodes[child], node)) break
      nodes[i] = nodes[child]
      i = child
    }
    nodes[i] = node
  }
}
