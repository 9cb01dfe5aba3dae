package io.budgetguard.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.budgetguard.config.Settings;

/** The one JSON mapper configuration of the gateway: money as BigDecimal, strict input, the JSON_MAX_* bounds. */
public final class JsonMappers {
    private JsonMappers() {}

    public static ObjectMapper bounded(Settings.JsonLimits limits) {
        // Requests run on virtual threads, which Jackson's default thread-local buffer pool cannot reuse across:
        // a shared pool hands the same parse and write buffers from request to request.
        com.fasterxml.jackson.core.JsonFactory factory = com.fasterxml.jackson.core.JsonFactory.builder()
                .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.sharedConcurrentDequePool())
                .build();
        JsonMapper mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
                .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxDepth()).maxStringLength(limits.maxStringChars())
                .maxNumberLength(limits.maxNumberChars()).maxNameLength(limits.maxNameChars()).build());
        return mapper;
    }
}
