#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a finished login hands back to the command that prints it.
public struct LoginResult: Sendable {
    public var instance: CreatedInstance
    public var keyfilePath: String
    public var redirectURI: String
    public var warnings: [String]
    /// From the genuine redirect's arrival to the end of the flow (POST and keyfile included).
    public var secondsFromRedirectToDone: Double
}

/// The instance was created, but the keyfile could not be written. Carries the instance so
/// the caller can show its id and token: nothing is lost.
public struct InstanceNotSaved: Error, CustomStringConvertible {
    public var instance: CreatedInstance
    public var reason: KeyfileError

    public var description: String {
        "the instance was created (id \(instance.id)) but the keyfile could not be written: \(reason)"
    }
}
