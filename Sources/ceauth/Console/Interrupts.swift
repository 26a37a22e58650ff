import CEAuthCore
import Dispatch

/// Ctrl-C (and SIGTERM) end a wait cleanly through the listener's cancel pipe, so the port is
/// released and a clear message printed; a second Ctrl-C is not needed.
enum Interrupts {
    static func forward(to cancel: CancelSignal) -> [DispatchSourceSignal] {
        OS.interruptSignals.map { number in
            OS.ignore(number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancel.trigger() }
            source.resume()
            return source
        }
    }
}
