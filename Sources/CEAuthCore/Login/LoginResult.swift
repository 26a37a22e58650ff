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
    /// A KeyfileError, or a SecretServiceError when the token was to go to the keyring.
    public var reason: any Error

    public var description: String {
        reason is SecretServiceError ? "the instance was created (id \(instance.id)) but its token could not be saved in the Secret Service: \(reason)"
                                     : "the instance was created (id \(instance.id)) but the keyfile could not be written: \(reason)"
    }
}
