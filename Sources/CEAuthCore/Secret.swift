/// A secret string (user secret, organization secret, client secret, instance token) that
/// prints as `<redacted>` wherever it is interpolated, dumped or reflected, so a stray
/// log line or error message cannot leak it. Read `.value` only where it is sent.
public struct Secret: Sendable, Equatable {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
