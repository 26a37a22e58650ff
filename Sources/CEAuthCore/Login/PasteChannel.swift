import Dispatch

/// Where a pasted redirect (`--paste`) reaches the waiting listener: the reader delivers the
/// result and wakes the listener through a pipe it polls beside its sockets.
public final class PasteChannel: @unchecked Sendable {
    private let wake = CancelSignal()
    private let queue = DispatchQueue(label: "ceauth.paste")
    private var stored: CallbackResult?
    private var closed = false

    public init() {}

    var readFD: Int32 { wake.readFD }

    /// Runs `check` on one pasted line unless the wait is over; what it returns, if anything,
    /// ends the wait. Serialised with `close`, so no check runs once the flow has moved on (and
    /// none is still hashing a state with OpenSSL while the process exits).
    public func offer(_ check: () -> CallbackResult?) -> Bool {
        queue.sync {
            guard !closed, stored == nil else { return true }
            guard let result = check() else { return false }
            stored = result
            wake.trigger()
            return true
        }
    }

    /// The wait is over: later lines are ignored. Waits for a check under way to finish.
    public func close() {
        queue.sync { closed = true }
    }

    var result: CallbackResult? { queue.sync { stored } }
}
