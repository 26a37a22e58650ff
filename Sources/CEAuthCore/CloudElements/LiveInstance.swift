#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The polling-event keys of an instance's configuration (Cloud Elements' polling parameters).
public enum EventKeys {
    public static let enabled = "event.notification.enabled"
    public static let callbackURL = "event.notification.callback.url"
    public static let interval = "event.poller.refresh_interval"
    public static let pollers = "event.poller.configuration"
    public static let signatureKey = "event.notification.signature.key"
}

/// An instance's events as Cloud Elements has them (`GET /instances/{id}`). Pure.
public struct InstanceEvents: Sendable, Equatable {
    public struct Resource: Sendable, Equatable {
        public var name: String
        public var url: String
    }

    public var enabled: Bool
    public var callbackURL: String?
    public var intervalMinutes: Int?
    public var resources: [Resource]
    /// Whether events are signed; the key itself is a secret and never shown.
    public var signed: Bool

    /// Configuration values come as JSON values or as their text ("true", "15", a JSON string
    /// holding the pollers): both are read.
    public init(configuration: [String: JSONValue]) {
        func text(_ key: String) -> String? {
            switch configuration[key] {
            case .string(let value)?: return value
            case .integer(let value)?: return String(value)
            case .bool(let value)?: return String(value)
            default: return nil
            }
        }
        enabled = text(EventKeys.enabled) == "true"
        callbackURL = text(EventKeys.callbackURL).flatMap { $0.isEmpty ? nil : $0 }
        intervalMinutes = text(EventKeys.interval).flatMap { Int($0) }
        var pollers = configuration[EventKeys.pollers]
        if case .string(let encoded)? = pollers { pollers = try? JSONValue.parse(Data(encoded.utf8)) }
        if case .object(let members)? = pollers {
            resources = members.keys.sorted().map { Resource(name: $0, url: members[$0]?["url"]?.stringValue ?? "") }
        } else {
            resources = []
        }
        signed = !(text(EventKeys.signatureKey) ?? "").isEmpty
    }

    /// The host the events go to, for one-line summaries.
    public var callbackHost: String? { callbackURL.flatMap { URL(string: $0)?.host } }

    /// "on every 15 min to hooks.example.com" or "off".
    public var summary: String {
        guard enabled else { return "off" }
        var text = "on"
        if let intervalMinutes { text += " every \(intervalMinutes) min" }
        if let host = callbackHost { text += " to \(host)" }
        return text
    }
}

/// What `ceauth events`, `tag` and `adopt` change or take from a live instance. Pure.
public enum LiveInstance {
    /// The `PATCH /instances/{id}` body that changes only `configuration` keys given.
    public static func configurationPatch(_ configuration: [String: JSONValue]) -> JSONValue {
        .object(["configuration": .object(configuration)])
    }

    /// Turns events off, keeping the rest of the events' settings.
    public static var eventsOff: JSONValue { configurationPatch([EventKeys.enabled: .bool(false)]) }

    /// A `tags` list replaces the instance's tags.
    public static func tagsPatch(_ tags: [String]) -> JSONValue {
        .object(["tags": .array(tags.map(JSONValue.string))])
    }

    /// The instance's tags as strings (other values are left out).
    public static func tags(of instance: JSONValue) -> [String] {
        instance["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// The tags after adding and removing: the current order kept, additions at the end, each once.
    public static func editedTags(_ current: [String], add: [String], remove: [String]) -> [String] {
        var result: [String] = []
        for tag in current + add where !remove.contains(tag) && !result.contains(tag) { result.append(tag) }
        return result
    }

    public static func configuration(of instance: JSONValue) -> [String: JSONValue] {
        instance["configuration"]?.objectValue ?? [:]
    }

    /// The element of an instance as Cloud Elements describes it: its key and hub.
    public static func element(of instance: JSONValue) -> (key: String, hub: String?) {
        (instance["element"]?["key"]?.stringValue ?? "", instance["element"]?["hub"]?.stringValue)
    }

    /// The keyfile entry for an instance that exists at Cloud Elements (`GET /instances/{id}`),
    /// named `name` or as Cloud Elements names it; a name another entry of the keyfile has gets
    /// the id after it, so every name keeps finding one instance.
    public static func adoptedEntry(_ instance: JSONValue, id: Int64, baseURL: String, name: String?,
                                    taken: Set<String>, created: String) throws(AdoptionError) -> KeyfileEntry {
        guard let token = instance["token"]?.stringValue, !token.isEmpty else { throw .noToken(id: id) }
        let element = element(of: instance).key
        guard !element.isEmpty else { throw .noElement(id: id) }
        let remote = instance["name"]?.stringValue ?? ""
        var chosen = name ?? (remote.isEmpty ? "\(element)-\(id)" : remote)
        if name == nil && taken.contains(chosen) { chosen += "-\(id)" }
        return KeyfileEntry(name: chosen, id: id, token: Secret(token), element: element, baseURL: baseURL, created: created)
    }
}

/// `ceauth events --url/--poll-interval/--calendar-id`: the event keys to send, checked as at
/// login. What is not given stays as Cloud Elements has it: without --url the current callback
/// is kept, without --poll-interval the current interval (the default when there is none).
public struct EventsChange: Sendable {
    public var url: String?
    public var pollInterval: Int?
    public var calendarID: String?

    public init(url: String?, pollInterval: Int?, calendarID: String?) {
        self.url = url
        self.pollInterval = pollInterval
        self.calendarID = calendarID
    }

    public func configuration(current: InstanceEvents, template: ElementTemplate,
                              environment: [String: String]) throws -> [String: JSONValue] {
        guard let callback = url ?? current.callbackURL else {
            throw ConfigurationError.invalidValue(option: "--url", reason: "the instance has no events callback URL yet; give --url URL (where Cloud Elements sends the events)")
        }
        let checked = try ServiceURL.validate(callback, what: "--url")
        let interval = try pollInterval.map { minutes throws(ConfigurationError) in
            try Defaults.check(minutes, Defaults.pollIntervalRange, option: "--poll-interval", unit: "minutes")
        }
        let events = EventsOptions(callbackURL: checked.absoluteString,
                                   pollIntervalMinutes: interval ?? current.intervalMinutes ?? Defaults.pollInterval,
                                   parameters: calendarID.map { ["calendarId": $0] } ?? [:],
                                   signatureKey: try Settings.eventsSignatureKey(environment: environment))
        return try InstanceBodyRenderer.eventsConfiguration(template, events: events,
                                                            sendInterval: interval != nil || current.intervalMinutes == nil)
    }
}

/// `ceauth adopt`: which instances the keyfile lacks at one host, and the entry for each. Pure.
public struct Adoption: Sendable {
    public var baseURL: String
    public var saved: [KeyfileEntry]
    public var created: String

    public init(baseURL: String, saved: [KeyfileEntry], created: String) {
        self.baseURL = baseURL
        self.saved = saved
        self.created = created
    }

    public var names: Set<String> { Set(saved.map(\.name)) }

    private func held(_ id: Int64) -> KeyfileEntry? { saved.first { $0.id == id && $0.baseURL == baseURL } }

    /// The ids of `remote` (of `element`, when given) that the keyfile lacks, in Cloud Elements' order.
    public func missing(_ remote: [RemoteInstance], element: String?) -> [Int64] {
        remote.filter { (element == nil || $0.element == element) && held($0.id) == nil }.map(\.id)
    }

    /// The entry to save for `answer`, or the entry the keyfile has (`adopted` false).
    public func entry(id: Int64, answer: JSONValue?, name: String?, taken: Set<String>) throws(AdoptionError) -> (entry: KeyfileEntry, adopted: Bool) {
        if let existing = held(id) { return (existing, false) }
        guard let answer else { throw .gone(id: id) }
        if let name, let other = saved.first(where: { $0.name == name }) { throw .nameTaken(name: name, by: other.summary) }
        return (try LiveInstance.adoptedEntry(answer, id: id, baseURL: baseURL, name: name, taken: taken, created: created), true)
    }
}

/// Why an instance cannot be adopted.
public enum AdoptionError: Error, Equatable, CustomStringConvertible {
    case gone(id: Int64)
    case noToken(id: Int64)
    case noElement(id: Int64)
    case nameTaken(name: String, by: String)

    public var description: String {
        switch self {
        case .gone(let id): return "Cloud Elements has no instance \(id) here; check the id (ceauth list --remote) and --base-url/--env"
        case .noToken(let id): return "Cloud Elements' answer for instance \(id) has no token, so it cannot be used from the keyfile"
        case .noElement(let id): return "Cloud Elements' answer for instance \(id) names no element"
        case .nameTaken(let name, let other): return "the keyfile already has an instance named '\(name)' (\(other)); choose another --name"
        }
    }
}
