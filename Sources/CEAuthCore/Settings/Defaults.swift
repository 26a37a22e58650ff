/// Every default and its range, written once: the options, the plan, the checks and the help
/// all read them here.
public enum Defaults {
    /// How long login waits for the browser's redirect, in seconds.
    public static let browserTimeout = 300
    public static let browserTimeoutRange = 1...86_400
    /// How long login and create wait for Cloud Elements to answer the instance request.
    public static let requestTimeout = 60
    /// How long list, show, verify and delete wait for each answer.
    public static let checkTimeout = 30
    /// The range of every --request-timeout.
    public static let requestTimeoutRange = 1...3_600
    /// How many instances `verify --all`, `status` and `adopt --all` check at once (each worker on
    /// its own connection): 50 instances at a round trip of 100 ms take under a second.
    public static let concurrentRequests = 16
    /// The events poller's interval, in minutes.
    public static let pollInterval = 15
    public static let pollIntervalRange = 1...10_080
    /// How long a profile's secret command may take (`CEAUTH_SECRET_COMMAND_TIMEOUT`).
    public static let secretCommandTimeout = 10.0
    /// Each call to the Secret Service: a keyring that answers does so in milliseconds.
    public static let keyringTimeout = 5.0
    public static let secretCommandTimeoutRange = 0.1...600.0

    /// `value` of `option` when it is within `range`; otherwise the error that names both.
    public static func check(_ value: Int, _ range: ClosedRange<Int>, option: String, unit: String = "seconds") throws(ConfigurationError) -> Int {
        guard range.contains(value) else {
            throw .invalidValue(option: option, reason: "give a number of \(unit) from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
