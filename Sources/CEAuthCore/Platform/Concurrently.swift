/// Work on many items at once, on threads of their own: `verify --all`, `status` and
/// `adopt --all` send one instance's requests per item, so a keyfile of 50 instances waits about
/// one round trip per 16 instead of one per instance.
public enum Concurrently {
    /// `body(worker, item)` for every item, at most `width` at once. Each thread makes one
    /// `worker` (a transport, whose connection its next items use again) and takes the next item
    /// until none is left. The results come back in the items' order.
    public static func map<Item: Sendable, Worker, Output: Sendable>(_ items: [Item], width: Int,
                                                                     worker makeWorker: @escaping @Sendable () -> Worker,
                                                                     _ body: @escaping @Sendable (Worker, Item) -> Output) -> [Output] {
        guard items.count > 1, width > 1 else {
            let worker = makeWorker()
            return items.map { body(worker, $0) }
        }
        let shared = Shared(items: items, makeWorker: makeWorker, body: body)
        var threads: [OS.JoinableThread] = []
        for _ in 0..<Swift.min(width, items.count) {
            if let thread = OS.startJoinableThread({ shared.work() }) { threads.append(thread) }
        }
        // No thread could start: the caller does the work (the same results, one after another).
        if threads.isEmpty { shared.work() }
        threads.forEach(OS.join)
        return shared.outputs.current.map { $0! }
    }

    private final class Shared<Item: Sendable, Worker, Output: Sendable>: @unchecked Sendable {
        let items: [Item]
        let makeWorker: @Sendable () -> Worker
        let body: @Sendable (Worker, Item) -> Output
        let next = Locked(0)
        let outputs: Locked<[Output?]>

        init(items: [Item], makeWorker: @escaping @Sendable () -> Worker, body: @escaping @Sendable (Worker, Item) -> Output) {
            self.items = items
            self.makeWorker = makeWorker
            self.body = body
            outputs = Locked(Array(repeating: nil, count: items.count))
        }

        func work() {
            let worker = makeWorker()
            while true {
                let index = next.with { value -> Int in
                    defer { value += 1 }
                    return value
                }
                guard index < items.count else { return }
                let output = body(worker, items[index])
                outputs.with { $0[index] = output }
            }
        }
    }
}
