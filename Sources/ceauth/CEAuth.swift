import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@main
struct CEAuth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceauth",
        abstract: "Create Cloud Elements (SAP Open Connectors) instances for Google services from the terminal.",
        discussion: """
        Secrets come from the environment only: CEAUTH_USER_SECRET, CEAUTH_ORG_SECRET (Cloud Elements), \
        CEAUTH_CLIENT_ID, CEAUTH_CLIENT_SECRET (the Google OAuth client).
        """,
        version: BuildInfo.versionLine,
        subcommands: [Login.self, Create.self, URLCommand.self, List.self, Show.self, Token.self, Header.self, Verify.self, Delete.self, Elements.self]
    )
}
