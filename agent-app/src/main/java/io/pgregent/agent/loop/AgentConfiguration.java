package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.time.Clock;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.PostgresPort;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The agent's beans: PostgreSQL control and the HA loop over the configured store. */
@Configuration(proxyBeanMethods = false)
public class AgentConfiguration {

  @Bean(destroyMethod = "shutdownNow")
  ScheduledExecutorService regentScheduler() {
    return Executors.newScheduledThreadPool(
        2,
        r -> {
          Thread t = new Thread(r, "regent-scheduler");
          t.setDaemon(true);
          return t;
        });
  }

  @Bean(destroyMethod = "close")
  PostgresController postgresController(AgentConfig config, ScheduledExecutorService scheduler) {
    return new PostgresController(config.postgresql(), scheduler);
  }

  @Bean
  FailsafeHeartbeats failsafeHeartbeats() {
    return new FailsafeHeartbeats();
  }

  @Bean
  HaLoop haLoop(Dcs dcs, PostgresPort postgres, AgentConfig config, FailsafeHeartbeats heartbeats) {
    return new HaLoop(dcs, postgres, config, heartbeats, MachineTasks.INSTANCE, Clock.system());
  }
}
