import CEAuthCore
import Dispatch

/// Ctrl-C (and SIGTERM) end a wait cleanly through the listener's cancel pipe, so the port is
/// released and a clear message printed; a second Ctrl-C is not needed.
enum Interrupts {
    /// While the request to Cloud Elements is on its way, the first Ctrl-C says what happens
    /// (it is finished, within its timeout) and a second stops waiting at once (exit 130).
    static func forward(to cancel: CancelSignal, console: Console) -> [DispatchSourceSignal] {
        handle {
            switch cancel.interrupt() {
            case .endWait:
                break
            case .finishingRequest(let seconds):
                console.fail(Message("finishing the request already sent to Cloud Elements, at most \(seconds) s; Ctrl-C again to stop waiting (the instance may then exist)"))
            case .stopNow:
                console.fail(Message("interrupted before the browser opened; nothing was created"))
                OS.exitNow(ExitStatus.interrupted)
            case .stopWaiting:
                console.fail(Message("stopped waiting for Cloud Elements; the instance may exist: look for it in the Cloud Elements console before running ceauth again"))
                OS.exitNow(ExitStatus.interrupted)
            }
        }
    }

    /// Runs `body` on each Ctrl-C or SIGTERM instead of the default (ending the process).
    static func handle(_ body: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        OS.interruptSignals.map { number in
            OS.ignore(number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: body)
            source.resume()
            return source
        }
    }
}

/// A plain message shown as an error line.
struct Message: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
