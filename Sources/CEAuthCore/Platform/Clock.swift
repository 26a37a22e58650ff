/// Monotonic seconds, for deadlines that wall-clock changes cannot move.
public func monotonicSeconds() -> Double {
    OS.monotonicSeconds()
}
