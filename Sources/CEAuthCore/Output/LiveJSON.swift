/// The JSON shapes of the commands that look after a live instance (events, enable, disable,
/// tag, adopt, status), each written once.
extension CommandJSON {
    static func ids(_ entry: KeyfileEntry) -> [LosslessJSON.Member] {
        [.init("name", string(entry.name)), .init("id", .number(String(entry.id)))]
    }

    static func optionalNumber(_ value: Int?) -> LosslessJSON { value.map { .number(String($0)) } ?? .literal("null") }
    static func optionalString(_ value: String?) -> LosslessJSON { value.map { string($0) } ?? .literal("null") }

    /// `{enabled, callbackUrl, pollIntervalMinutes, signed, resources: [{name, url}]}`.
    public static func events(_ events: InstanceEvents) -> LosslessJSON {
        .object([
            .init("enabled", flag(events.enabled)), .init("callbackUrl", optionalString(events.callbackURL)),
            .init("pollIntervalMinutes", optionalNumber(events.intervalMinutes)), .init("signed", flag(events.signed)),
            .init("resources", .array(events.resources.map { .object([.init("name", string($0.name)), .init("url", string($0.url))]) })),
        ])
    }

    /// `ceauth events --json`: `{name, id, events: {...}}`.
    public static func instanceEvents(_ entry: KeyfileEntry, _ events: InstanceEvents) -> LosslessJSON {
        .object(ids(entry) + [.init("events", self.events(events))])
    }

    /// `ceauth tag --json`: `{name, id, tags}`.
    public static func tags(_ entry: KeyfileEntry, _ tags: [String]) -> LosslessJSON {
        .object(ids(entry) + [.init("tags", .array(tags.map(string)))])
    }

    /// `ceauth enable/disable --json`: `{name, id, enabled}`.
    public static func enabled(_ entry: KeyfileEntry, _ enabled: Bool) -> LosslessJSON {
        .object(ids(entry) + [.init("enabled", flag(enabled))])
    }

    /// One instance of `ceauth adopt --json`: `{name, id, element, host, adopted, reason}`.
    public static func adoption(_ entry: KeyfileEntry, adopted: Bool, reason: String?) -> LosslessJSON {
        .object(ids(entry) + [.init("element", string(entry.element)), .init("host", string(entry.host)),
                              .init("adopted", flag(adopted)), .init("reason", optionalString(reason))])
    }

    /// One line of `ceauth status --json`.
    public static func status(_ status: InstanceStatus) -> LosslessJSON {
        var members = ids(status.instance) + [
            .init("element", string(status.instance.element)), .init("host", string(status.instance.host)),
            .init("works", flag(status.verification?.verdict == .works)),
            .init("state", optionalString(status.verification?.state.rawValue)),
            .init("enabled", flag(status.verification.map { $0.state != .disabled && $0.state != .gone })),
            .init("events", status.events.map(events) ?? .literal("null")),
            .init("tags", status.tags.map { .array($0.map(string)) } ?? .literal("null")),
            .init("advice", optionalString(status.verification?.advice)),
        ]
        if let error = status.error { members.append(.init("error", string(error))) }
        return .object(members)
    }
}
