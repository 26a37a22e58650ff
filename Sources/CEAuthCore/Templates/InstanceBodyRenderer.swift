#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the user chose for polling events.
public struct EventsOptions: Sendable, Equatable {
    /// Where Cloud Elements sends events (`event.notification.callback.url`).
    public var callbackURL: String
    /// `event.poller.refresh_interval`, in minutes.
    public var pollIntervalMinutes: Int
    /// Values for the template's poller parameters, e.g. `calendarId`.
    public var parameters: [String: String]
    /// `event.notification.signature.key` (`CEAUTH_EVENTS_SIGNATURE_KEY`): Cloud Elements signs
    /// each event with it. A secret.
    public var signatureKey: Secret?

    public init(callbackURL: String, pollIntervalMinutes: Int = Defaults.pollInterval, parameters: [String: String] = [:],
                signatureKey: Secret? = nil) {
        self.callbackURL = callbackURL
        self.pollIntervalMinutes = pollIntervalMinutes
        self.parameters = parameters
        self.signatureKey = signatureKey
    }
}

/// The values that go into an instance body.
public struct InstanceValues: Sendable {
    public var code: String
    public var clientID: String
    public var clientSecret: Secret
    public var redirectURI: String
    public var name: String
    public var tags: [String]
    public var events: EventsOptions?
    /// Set when ceauth redeemed the code itself: the body carries these instead of the code.
    public var tokens: GrantedTokens?

    public init(code: String, clientID: String, clientSecret: Secret, redirectURI: String,
                name: String, tags: [String], events: EventsOptions?, tokens: GrantedTokens? = nil) {
        self.tokens = tokens
        self.code = code
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
        self.name = name
        self.tags = tags
        self.events = events
    }
}

/// Fills an element template's instance body. Pure: no I/O.
public enum InstanceBodyRenderer {
    public static let placeholderNames = [
        "accessToken", "clientId", "clientSecret", "code", "eventsEnabled", "eventsUrl", "name",
        "pollInterval", "pollers", "redirectUri", "refreshToken", "scope", "tags",
    ]

    private enum Fill {
        case value(JSONValue)
        case omit
    }

    public static func render(_ template: ElementTemplate, values: InstanceValues) throws(TemplateError) -> JSONValue {
        var body = template.instance
        var fills: [String: Fill] = [
            "code": .value(.string(values.code)),
            "clientId": .value(.string(values.clientID)),
            "clientSecret": .value(.string(values.clientSecret.value)),
            "redirectUri": .value(.string(values.redirectURI)),
            "name": .value(.string(values.name)),
            "tags": values.tags.isEmpty ? .omit : .value(.array(values.tags.map(JSONValue.string))),
            "eventsEnabled": .value(.bool(values.events != nil)),
        ]
        if let events = values.events {
            guard let templateEvents = template.events else {
                throw .eventsNotSupported(element: template.key)
            }
            guard case .object(var root) = body, case .object(var configuration)? = root["configuration"] else {
                throw .invalid(file: "\(template.key).json", reason: "instance.configuration must be an object")
            }
            configuration.merge(templateEvents.configuration) { _, added in added }
            if let key = events.signatureKey { configuration[EventKeys.signatureKey] = .string(key.value) }
            root["configuration"] = .object(configuration)
            body = .object(root)
            fills["eventsUrl"] = .value(.string(events.callbackURL))
            fills["pollInterval"] = .value(.string(String(events.pollIntervalMinutes)))
            fills["pollers"] = .value(try pollers(template, templateEvents, events.parameters))
        }
        if let tokens = values.tokens {
            body = try tokenBody(body, template)
            fills["accessToken"] = .value(.string(tokens.accessToken.value))
            fills["refreshToken"] = tokens.refreshToken.map { .value(.string($0.value)) } ?? .omit
            fills["scope"] = tokens.scopes.map { .value(.string($0.joined(separator: " "))) } ?? .omit
        }
        guard let rendered = try fill(body, fills, element: template.key) else {
            throw .invalid(file: "\(template.key).json", reason: "the instance body is a lone placeholder")
        }
        return rendered
    }

    /// The event keys of the template filled for `events`, with events enabled: what a
    /// `PATCH /instances/{id}` of a live instance carries. Without `interval` the template's
    /// interval key is left out, so the instance keeps the one it has.
    public static func eventsConfiguration(_ template: ElementTemplate, events: EventsOptions,
                                           sendInterval: Bool) throws(TemplateError) -> [String: JSONValue] {
        guard let templateEvents = template.events else { throw .eventsNotSupported(element: template.key) }
        let fills: [String: Fill] = [
            "eventsUrl": .value(.string(events.callbackURL)),
            "pollInterval": sendInterval ? .value(.string(String(events.pollIntervalMinutes))) : .omit,
            "pollers": .value(try pollers(template, templateEvents, events.parameters)),
        ]
        guard case .object(var configuration)? = try fill(.object(templateEvents.configuration), fills, element: template.key) else {
            throw .invalid(file: "\(template.key).json", reason: "events.configuration must be an object")
        }
        configuration[EventKeys.enabled] = .bool(true)
        if let key = events.signatureKey { configuration[EventKeys.signatureKey] = .string(key.value) }
        return configuration
    }

    /// The code body turned into the token body, as the template's tokenInstance says.
    private static func tokenBody(_ body: JSONValue, _ template: ElementTemplate) throws(TemplateError) -> JSONValue {
        guard let change = template.tokenInstance else { throw .noTokenInstance(element: template.key) }
        guard case .object(var root) = body, case .object(var configuration)? = root["configuration"] else {
            throw .invalid(file: "\(template.key).json", reason: "instance.configuration must be an object")
        }
        for path in change.remove {
            if path.hasPrefix("configuration.") {
                configuration.removeValue(forKey: String(path.dropFirst("configuration.".count)))
            } else {
                root.removeValue(forKey: path)
            }
        }
        configuration.merge(change.configuration) { _, added in added }
        root["configuration"] = .object(configuration)
        root["externalAuthentication"] = .string(change.externalAuthentication)
        return .object(root)
    }

    /// The poller configuration: the default one, or the one of each given parameter with
    /// `{parameter}` in its string values replaced by the parameter's (path-encoded) value.
    private static func pollers(_ template: ElementTemplate, _ events: ElementTemplate.Events,
                                _ parameters: [String: String]) throws(TemplateError) -> JSONValue {
        if parameters.isEmpty { return events.pollers }
        var merged: [String: JSONValue] = [:]
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            guard let parameter = events.parameters?[name] else {
                throw .unsupportedParameter(option: "--" + kebabCase(name), element: template.key)
            }
            let encoded = try pathSegment(value, option: parameter.option)
            let substituted = replacing("{\(name)}", with: encoded, in: parameter.pollers)
            guard case .object(let members) = substituted else {
                throw .invalid(file: "\(template.key).json", reason: "pollers of parameter \(name) must be an object")
            }
            merged.merge(members) { _, new in new }
        }
        return .object(merged)
    }

    private static func pathSegment(_ value: String, option: String) throws(TemplateError) -> String {
        guard !value.isEmpty else { throw .invalidParameterValue(option: option, reason: "the value is empty") }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidParameterValue(option: option, reason: "the value contains control characters")
        }
        // "." and ".." are path segments of their own: /calendars/../changed-events would
        // name another resource. No calendar (or other) id is a lone dot or two.
        guard value != ".", value != ".." else {
            throw .invalidParameterValue(option: option, reason: "'\(value)' is a relative path segment, not an id")
        }
        // RFC 3986 pchar less ';': everything else, '/', '?', '#' and '%' included, is encoded.
        return FormEncoding.encode(value, keeping: Set("!$&'()*+,=:@".utf8))
    }

    private static func replacing(_ token: String, with replacement: String, in value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(s.replacing(token, with: replacement))
        case .array(let items): return .array(items.map { replacing(token, with: replacement, in: $0) })
        case .object(let members): return .object(members.mapValues { replacing(token, with: replacement, in: $0) })
        default: return value
        }
    }

    /// Replaces every string value that is exactly `{{name}}`; returns nil for an omitted value.
    private static func fill(_ value: JSONValue, _ fills: [String: Fill], element: String) throws(TemplateError) -> JSONValue? {
        switch value {
        case .string(let s):
            guard s.hasPrefix("{{"), s.hasSuffix("}}"), s.count > 4 else { return value }
            let name = String(s.dropFirst(2).dropLast(2))
            guard let filled = fills[name] else {
                if placeholderNames.contains(name) {
                    throw .invalid(file: "\(element).json", reason: "{{\(name)}} may only appear in the events section")
                }
                throw .unknownPlaceholder(name, element: element)
            }
            if case .value(let v) = filled { return v }
            return nil
        case .array(let items):
            var out: [JSONValue] = []
            for item in items {
                if let filled = try fill(item, fills, element: element) { out.append(filled) }
            }
            return .array(out)
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (key, member) in members {
                if let filled = try fill(member, fills, element: element) { out[key] = filled }
            }
            return .object(out)
        default:
            return value
        }
    }

    static func kebabCase(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase { out += "-" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}
