using Usp.Agent;

return AgentProgram.Run(args);
