#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Cloud Elements environments, by the name `--env` takes.
public enum CloudElementsEnvironment: String, CaseIterable, Sendable {
    case us, eu, staging

    public var baseURL: URL {
        switch self {
        case .us: return URL(string: "https://api.cloud-elements.com/elements/api-v2")!
        case .eu: return URL(string: "https://api.cloud-elements.co.uk/elements/api-v2")!
        case .staging: return URL(string: "https://staging.cloud-elements.com/elements/api-v2")!
        }
    }
}
