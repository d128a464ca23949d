package io.meshbus.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The layering of ARCHITECTURE.md, enforced: a lower layer never imports a higher one. */
class LayeringTest {
    @Test
    void lowerLayersShouldNeverUseHigherOnes() {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.meshbus");
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("error").definedBy("io.meshbus.error..")
                .layer("internal").definedBy("io.meshbus.internal..")
                .layer("codec").definedBy("io.meshbus.codec..")
                .layer("message").definedBy("io.meshbus.message..")
                .layer("wire").definedBy("io.meshbus.wire..")
                .layer("transport").definedBy("io.meshbus.transport..")
                .layer("node").definedBy("io.meshbus.node..")
                .layer("bus").definedBy("io.meshbus.bus..")
                .layer("route").definedBy("io.meshbus.route..")
                .whereLayer("route").mayNotBeAccessedByAnyLayer()
                .whereLayer("bus").mayOnlyBeAccessedByLayers("route")
                .whereLayer("node").mayOnlyBeAccessedByLayers("bus", "route")
                .whereLayer("transport").mayOnlyBeAccessedByLayers("node", "route")
                .whereLayer("wire").mayOnlyBeAccessedByLayers("transport", "node", "bus", "route")
                .whereLayer("message").mayOnlyBeAccessedByLayers("wire", "transport", "node", "bus", "route")
                .whereLayer("codec").mayOnlyBeAccessedByLayers("message", "wire", "transport", "node", "bus", "route")
                .check(classes);
    }
}
