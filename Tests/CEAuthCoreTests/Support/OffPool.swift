import Foundation
@testable import CEAuthCore

/// Work that blocks (waiting for a child process, a pty, a server) runs on a thread of its own,
/// not on Swift's cooperative pool: that pool has one thread per core (two here), so a blocking
/// test would hold back every other test of the run.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}

/// Runs `body` on a new thread and resumes when it returns.
func offPool<T>(_ body: @escaping () throws -> T) async throws -> T {
    let work = Unchecked(value: body)
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Unchecked<T>, Error>) in
        Thread {
            do { continuation.resume(returning: Unchecked(value: try work.value())) } catch { continuation.resume(throwing: error) }
        }.start()
    }.value
}

/// At most `width` holders at once; the rest wait in order. Bounds how many child processes the
/// suite's tests run at the same moment, so timing assertions keep their margin on two cores.
actor Slots {
    let width: Int
    private var used = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = width }

    func acquire() async {
        if used < width {
            used += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { used -= 1 } else { waiting.removeFirst().resume() }
    }

    /// Holds a slot while `body` runs off the pool.
    nonisolated func holding<T>(_ body: @escaping () throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await offPool(body)
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }
}
