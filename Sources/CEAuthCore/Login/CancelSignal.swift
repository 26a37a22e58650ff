import Dispatch

/// A way to stop a wait from another thread or a signal handler: a pipe the listener polls.
public final class CancelSignal: @unchecked Sendable {
    private let pipe: (read: Int32, write: Int32)?
    private let state = DispatchQueue(label: "ceauth.cancel")
    private var sendingFor: Int?
    private var interruptsWhileSending = 0
    private var checkingFirst = false

    /// What a Ctrl-C means now.
    public enum Interrupt: Equatable {
        /// The wait for the browser ends (the listener is woken).
        case endWait
        /// The request to Cloud Elements is on its way: it is finished (at most this many seconds).
        case finishingRequest(seconds: Int)
        /// A second Ctrl-C while sending: stop waiting; the instance may then exist.
        case stopWaiting
        /// During the checks before the browser opens: nothing is spent yet, so stop at once.
        case stopNow
    }

    /// The checks before the browser opens are running (a request to Cloud Elements among them).
    public func checking(_ running: Bool) {
        state.sync { checkingFirst = running }
    }

    /// The request to Cloud Elements is on its way (nil: it is not).
    public func sending(timeoutSeconds: Int?) {
        state.sync { sendingFor = timeoutSeconds }
    }

    /// A Ctrl-C came: what it means, and the listener woken if it is waiting.
    public func interrupt() -> Interrupt {
        let meaning: Interrupt = state.sync {
            if checkingFirst { return .stopNow }
            guard let seconds = sendingFor else { return .endWait }
            interruptsWhileSending += 1
            return interruptsWhileSending == 1 ? .finishingRequest(seconds: seconds) : .stopWaiting
        }
        if meaning == .endWait { trigger() }
        return meaning
    }

    public init() {
        pipe = OS.makePipe()
    }

    deinit {
        if let pipe {
            OS.close(pipe.read)
            OS.close(pipe.write)
        }
    }

    var readFD: Int32 { pipe?.read ?? -1 }

    /// Wakes the waiting listener; safe to call from any thread, more than once.
    public func trigger() {
        if let pipe { OS.poke(pipe.write) }
    }
}
