package io.budgetguard.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages depend one way: {@code core} (the money vocabulary and operating errors) at the bottom, then
 * {@code budget} (admission and counters) below {@code ledger} below {@code proxy} and {@code worker}, the
 * composition root ({@code io.budgetguard}) on top. Read from the compiled production classes.
 */
class PackageDependencyTest {
    static JavaClasses production;

    @BeforeAll
    static void importProduction() {
        production = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.budgetguard");
    }

    static ArchRule noCycles(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles();
    }

    @Test
    void noPackageCycles() {
        noCycles("io.budgetguard").check(production);
    }

    @Test
    void theCycleRuleRejectsACycle() {
        JavaClasses fixture = new ClassFileImporter().importPackages("io.budgetguard.architecture.cyclefixture");
        assertThrows(AssertionError.class, () -> noCycles("io.budgetguard.architecture.cyclefixture").check(fixture));
    }

    @Test
    void theVocabularyDependsOnNothingOfOurs() {
        noClasses().that().resideInAPackage("io.budgetguard.core..").should().dependOnClassesThat()
                .resideInAnyPackage(ours("admin", "alert", "auth", "billing", "budget", "config", "docs", "http", "ledger", "log",
                        "metrics", "policy", "pricing", "proxy", "store", "tenant", "worker"))
                .check(production);
    }

    @Test
    void budgetKnowsNeitherTheLedgerNorTheConfiguration() {
        noClasses().that().resideInAPackage("io.budgetguard.budget..").should().dependOnClassesThat()
                .resideInAnyPackage(ours("ledger", "config", "store", "tenant", "proxy", "worker"))
                .check(production);
    }

    @Test
    void storesDoNotReachUpIntoBudgetsOrTenants() {
        noClasses().that().resideInAPackage("io.budgetguard.store..").should().dependOnClassesThat()
                .resideInAnyPackage(ours("budget", "ledger", "tenant", "proxy", "worker", "config"))
                .check(production);
    }

    @Test
    void theDataPlaneDoesNotReachIntoTheControlPlane() {
        noClasses().that().resideInAPackage("io.budgetguard.proxy..").should().dependOnClassesThat()
                .resideInAnyPackage(ours("worker", "admin", "alert", "billing"))
                .check(production);
    }

    @Test
    void nothingDependsOnTheCompositionRoot() {
        noClasses().that().resideOutsideOfPackage("io.budgetguard").should().dependOnClassesThat()
                .resideInAPackage("io.budgetguard")
                .check(production);
    }

    static String[] ours(String... packages) {
        String[] out = new String[packages.length];
        for (int i = 0; i < packages.length; i++) out[i] = "io.budgetguard." + packages[i] + "..";
        return out;
    }
}
