package io.meshbus.bus;

/** The bus contract on a mesh of in-memory links. */
class MemBusContractTest extends MeshBusContractTest {
    @Override
    String listen() {
        return "mem://0";
    }
}
