#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One element's data file from `Templates/`: how to ask Google for consent and what body
/// to send to `POST /instances`. Adding an element means adding such a file.
public struct ElementTemplate: Sendable, Decodable, Equatable {
    public struct Authorization: Sendable, Decodable, Equatable {
        /// The `iss` value a genuine authorization response carries (RFC 9207).
        public var issuer: String
        public var endpoint: String
        public var scopes: [String]
        /// Extra query parameters, e.g. `access_type=offline` and `prompt=consent` for a refresh token.
        public var parameters: [String: String]
    }

    public struct PollerParameter: Sendable, Decodable, Equatable {
        /// The command-line option that sets it, for messages.
        public var option: String
        /// The poller configuration used when the parameter is given; `{name}` in its string
        /// values is replaced by the parameter's value.
        public var pollers: JSONValue
    }

    public struct Events: Sendable, Decodable, Equatable {
        /// Members added to the instance body's `configuration` when events are enabled.
        public var configuration: [String: JSONValue]
        /// The default `event.poller.configuration`.
        public var pollers: JSONValue
        public var parameters: [String: PollerParameter]?
    }

    /// How the body differs when ceauth redeemed the code itself (`--exchange local`): Cloud
    /// Elements' "Provisioning an Instance with an Existing Refresh Token".
    public struct TokenInstance: Sendable, Decodable, Equatable {
        /// The top-level `externalAuthentication` value ("initial").
        public var externalAuthentication: String
        /// Members taken out of the code body: "providerData", or "configuration.KEY".
        public var remove: [String]
        /// Members added to `configuration` ({{accessToken}}, {{refreshToken}}, {{scope}}).
        public var configuration: [String: JSONValue]
    }

    public var key: String
    public var displayName: String
    /// Cloud Elements hub of the element, for `GET /hubs/{hub}/ping`.
    public var hub: String
    public var authorization: Authorization
    /// The `POST /instances` body with `"{{placeholder}}"` string values.
    public var instance: JSONValue
    public var events: Events?
    public var tokenInstance: TokenInstance?
}

/// Problems with element templates and pages, built in or from a user's folder.
public enum TemplateError: Error, Equatable, CustomStringConvertible {
    case unknownElement(String, available: [String])
    case invalidElementKey(String)
    case unreadable(file: String, reason: String)
    case invalid(file: String, reason: String)
    case unknownPlaceholder(String, element: String)
    case unsupportedParameter(option: String, element: String)
    case invalidParameterValue(option: String, reason: String)
    case eventsNotSupported(element: String)
    case missingPage(String)
    case noTokenInstance(element: String)

    public var description: String {
        switch self {
        case .unknownElement(let key, let available):
            return "unknown element '\(key)'; known elements: \(available.joined(separator: ", ")) (add a template file with --templates to use another)"
        case .invalidElementKey(let key):
            return "'\(key)' is not a valid element key; use lower-case letters, digits, '.', '_' or '-'"
        case .unreadable(let file, let reason):
            return "cannot read template \(file): \(reason)"
        case .invalid(let file, let reason):
            return "template \(file) is not valid: \(reason)"
        case .unknownPlaceholder(let name, let element):
            return "template for \(element) uses the unknown placeholder {{\(name)}}; known placeholders: \(InstanceBodyRenderer.placeholderNames.joined(separator: ", "))"
        case .unsupportedParameter(let option, let element):
            return "\(option) does not apply to element \(element)"
        case .invalidParameterValue(let option, let reason):
            return "\(option): \(reason)"
        case .eventsNotSupported(let element):
            return "the template for \(element) defines no events; remove --events-url"
        case .noTokenInstance(let element):
            return "the template for \(element) does not say how to create an instance from tokens (no \"tokenInstance\"); use --exchange cloud-elements, or add it to the template"
        case .missingPage(let name):
            return "the page template \(name) is missing from the templates"
        }
    }
}
